#pragma once

// The engine of weft::http::client: one libcurl multi handle per (client, loop), driven by that
// loop's io_context. Private to libweft.

#include <weft/net/http/client.hpp>
#include <weft/runtime/loop.hpp>

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace weft::http::detail {

class multi_ctx;

/// What a client shares with its requests: the options, and an id for its multi handles.
class client_state {
public:
    explicit client_state(client_options o);

    const client_options opts;
    const std::uint64_t id;
    /// Whether a request may go through a proxy: proxy_from_environment and a proxy variable was
    /// set when the client was made (read once, not per request as libcurl would).
    const bool may_use_proxy;
    /// Set when the client is destroyed: requests it made but nobody awaited yet fail.
    std::atomic<bool> closed{false};
};

/// Why weft's own callbacks failed a transfer (libcurl then reports CURLE_WRITE_ERROR).
enum class abort_reason {
    none,
    body_limit,   ///< the decoded body grew past max_response_bytes
    header_limit, ///< the response heads grew past max_header_bytes
    deadline,     ///< client_options::timeout passed while the body was being received
};

/// One request: an easy handle and what it collects. Lives in the awaiting coroutine's frame.
struct transfer {
    transfer() = default;
    transfer(const transfer&) = delete;
    transfer& operator=(const transfer&) = delete;
    ~transfer();

    CURL* easy = nullptr; ///< from ctx's pool, returned to it at the end
    bool plain = false;   ///< a GET without request headers or body
    bool nobody = false;  ///< a HEAD: the response has no body
    curl_slist* header_list = nullptr;
    std::string method;
    std::string url;
    std::string body;                  ///< the request body, which libcurl reads in place
    std::shared_ptr<CURLU> parsed_url; ///< the URL libcurl uses (CURLOPT_CURLU)
    response resp;
    CURLcode code = CURLE_OK;
    char errbuf[CURL_ERROR_SIZE] = {};

    // Limits, copied from the client's options when the transfer is prepared.
    std::size_t max_body = 0; ///< 0 = none
    std::size_t max_head = 0; ///< 0 = none
    bool keep_body = true;    ///< false: body bytes are counted, not stored
    std::size_t head_bytes = 0;
    bool body_started = false; ///< the body callback ran: every head has been received
    bool has_deadline = false;
    std::chrono::steady_clock::time_point deadline{};
    abort_reason aborted = abort_reason::none;

    std::shared_ptr<multi_ctx> ctx;
    std::coroutine_handle<> waiter;
    bool in_multi = false;         ///< added and not yet done nor aborted
    bool closed_by_client = false; ///< the client went away while it ran
    bool paused = false;           ///< paused for the loop's turn, on the multi's paused list
    transfer* prev = nullptr;      ///< the multi's list of running transfers
    transfer* next = nullptr;
};

/// A libcurl multi handle bound to one loop: its sockets sit in an epoll set of their own
/// (level-triggered, as libcurl expects) whose descriptor waits on the loop's io_context, and its
/// timeout is a steady_timer there. Idle connections' sockets stay in the set (see on_socket).
/// Every member function runs on the loop's thread, except close() when the loop does not run.
class multi_ctx : public std::enable_shared_from_this<multi_ctx> {
public:
    multi_ctx(weft::loop& l, const client_options& opts);
    multi_ctx(const multi_ctx&) = delete;
    multi_ctx& operator=(const multi_ctx&) = delete;
    ~multi_ctx();

    /// Starts watching for socket events; once, after construction.
    void start();
    /// Adds t's easy handle; t's waiter resumes on the loop when it completes.
    /// @throws client_error when the multi handle refuses it or the client was closed.
    void add(transfer& t);
    /// Removes a running transfer (a cancellation): libcurl drops its connection.
    void abort(transfer& t) noexcept;
    /// Fails the running transfers, closes every connection and releases the handles.
    void close() noexcept;

    /// An easy handle for a transfer; second is true when it comes configured by an earlier plain
    /// GET of this client (only the per-request options need setting), false when it has
    /// libcurl's defaults (new or reset).
    /// @throws std::bad_alloc
    [[nodiscard]] std::pair<CURL*, bool> acquire_easy(bool plain);
    /// Returns an easy handle to the pool (or frees it once closed); plain: it served a plain GET
    /// and keeps that configuration.
    void release_easy(CURL* easy, bool plain) noexcept;

    /// url parsed (for CURLOPT_CURLU), from a cache of recent URLs: given a URL string, libcurl
    /// parses it anew for every transfer (about 10k instructions, an eighth of a small GET); given
    /// a parsed one, it only copies it. Null when libcurl cannot parse url (rc says why). The
    /// handle stays valid while a copy of the pointer lives, whatever the cache drops.
    /// @throws std::bad_alloc
    [[nodiscard]] std::shared_ptr<CURLU> parsed_url(const std::string& url, CURLUcode& rc);

    [[nodiscard]] weft::loop& home() const noexcept { return owner_; }

    /// Body bytes handed to the client in one loop turn, over all of this multi's transfers,
    /// before a transfer pauses until the next turn: libcurl reads and decodes on the loop's
    /// thread, and a highly-compressed body would otherwise hold the loop for as long as it
    /// takes to decode (gigabytes from a few MiB).
    static constexpr std::size_t body_bytes_per_turn = std::size_t{4} << 20;

    /// Called by the body callback with n bytes: whether t must pause now (this turn's budget is
    /// spent); when true, t is queued to resume on a later turn of the loop.
    [[nodiscard]] bool must_yield(transfer& t, std::size_t n) noexcept;

    /// CURLOPT_CLOSESOCKETFUNCTION for this multi's easy handles (CURLOPT_CLOSESOCKETDATA: the
    /// multi_ctx): forgets the descriptor's place in the epoll set, then closes it.
    static int close_socket(void* clientp, curl_socket_t s) noexcept;

private:
    static int on_socket(CURL* easy, curl_socket_t s, int what, void* userp, void* socketp);
    static int on_timer(CURLM* multi, long timeout_ms, void* userp);

    void wait_events();
    void drain_events();
    void action(curl_socket_t s, int events);
    void collect_done();
    void unlink(transfer& t) noexcept;
    void begin_turn() noexcept { turn_bytes_ = 0; }
    void resume_paused();
    void fail(transfer& t, CURLcode code) noexcept;

    weft::loop& owner_;
    asio::io_context& io_;
    CURLM* multi_ = nullptr;
    int epfd_ = -1;
    asio::posix::stream_descriptor ep_; ///< owns epfd_
    asio::steady_timer timer_;
    bool timer_armed_ = false; ///< a wait on timer_ is pending for libcurl's timeout

    /// What our epoll set holds for a descriptor.
    struct fd_state {
        std::uint32_t events = 0; ///< EPOLLIN/EPOLLOUT registered
        bool in_set = false; ///< registered (as far as we know: a closed file leaves by itself)
        bool wanted = false; ///< libcurl watches it (false after CURL_POLL_REMOVE)
    };
    std::vector<fd_state> fds_; ///< by descriptor
    transfer* running_ = nullptr;
    std::vector<CURL*> idle_plain_; ///< configured for a plain GET of this client
    std::vector<CURL*> idle_other_; ///< to be reset before use
    std::unordered_map<std::string, std::shared_ptr<CURLU>> urls_; ///< see parsed_url
    std::vector<transfer*> paused_; ///< paused by must_yield, to resume on the next turn
    std::size_t turn_bytes_ = 0;    ///< body bytes handed over in this turn
    bool waiting_ = false;
    bool kick_pending_ = false;
    bool resume_pending_ = false; ///< resume_paused is posted
    bool closed_ = false;
};

/// The multi handle of client st on loop l (the caller's), made on first use.
/// @throws invalid_state_error after the runtime began shutting down.
[[nodiscard]] std::shared_ptr<multi_ctx> multi_for(const client_state& st, weft::loop& l);

/// Closes client id's multi handles on the current runtime, each on its own loop.
void drop_client(std::uint64_t id) noexcept;

/// The current runtime's shared default client, for weft::http::get.
[[nodiscard]] std::shared_ptr<client_state> default_client();

} // namespace weft::http::detail
