#pragma once

// One connection's request loop on its home loop: read a request head, its body, run the
// handler, write the response, and again while the connection stays open (keep-alive,
// pipelining). A session lives in its connection task's frame and is touched by that task only,
// but for the connection_ref that server::close() reaches through the registry (its idle flag is
// read on the same loop, see connection_registry.hpp).
//
// Its code is in three files, one job each:
//   session.cpp            the request loop: the head, the handler, the response, the ends
//   session_body.cpp       the read buffer and the request body (Content-Length or chunked)
//   session_deadlines.cpp  the read and write timeouts, one timer per connection
//   session_dispatch.cpp   the middleware chain and the error pages, when the server has any
//   session_file.cpp       a file body: sendfile(2), or pread and write where it cannot be used
// What a response looks like on the wire (the head, the streamed body's chunks) is in
// response_writer.cpp.

#include "access.hpp"
#include "access_log.hpp"
#include "connection_registry.hpp"
#include "counter.hpp"
#include "date_line.hpp"
#include "parser.hpp"
#include "response_writer.hpp"
#include "server_impl.hpp"

#include <weft/net/connection.hpp>
#include <weft/net/http/request.hpp>
#include <weft/net/http/server.hpp>
#include <weft/net/http/server_response.hpp>
#include <weft/runtime/detail/loop_ops.hpp>
#include <weft/runtime/task.hpp>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

// Private to libweft: hidden from its exported symbols, so that calls to it are direct (no PLT)
// and may be inlined.
#pragma GCC visibility push(hidden)

namespace weft::http::detail {

class session {
public:
    session(server::impl& srv, net::connection& conn);
    session(const session&) = delete;
    session& operator=(const session&) = delete;
    ~session();

    task<void> run();

    /// Whether a response write stalled past send_timeout (the connection was reset).
    [[nodiscard]] bool send_timed_out() const noexcept { return send_timed_out_; }

    // Awaits a connection's write (`co_await timed(*this, op)`), bounded by send_timeout from
    // the moment it has to wait for the socket: a write that completes at once arms nothing,
    // and what its first attempt sent does not count as progress of a stalled one.
    template <class Write>
    class timed {
    public:
        timed(session& s, Write& op) noexcept : s_(s), op_(op) {}
        bool await_ready() { return op_.await_ready(); }
        template <class P>
        bool await_suspend(std::coroutine_handle<P> h) {
            s_.arm_send_watchdog();
            armed_ = true;
            s_.waited();
            return op_.await_suspend(h);
        }
        decltype(auto) await_resume() {
            if (armed_) {
                s_.waiting_ = wait_kind::none;
            }
            return op_.await_resume();
        }

    private:
        session& s_;
        Write& op_;
        bool armed_ = false;
    };

    // Awaits a connection's read (`co_await noted(*this, op)`), noting whether it had to wait.
    template <class Read>
    class noted {
    public:
        noted(session& s, Read& op) noexcept : s_(s), op_(op) {}
        bool await_ready() { return op_.await_ready(); }
        template <class P>
        bool await_suspend(std::coroutine_handle<P> h) {
            s_.waited();
            return op_.await_suspend(h);
        }
        std::size_t await_resume() { return op_.await_resume(); }

    private:
        session& s_;
        Read& op_;
    };

    /// The task waits for the socket: the loop runs its other tasks meanwhile, so the fairness
    /// counts start again.
    void waited() noexcept {
        step_bytes_ = 0;
        step_requests_ = 0;
    }

    /// Counts n bytes moved in this loop step; true when the task should yield to the loop now.
    bool spend(std::size_t n) noexcept {
        step_bytes_ += n;
        if (step_bytes_ < fair_bytes) {
            return false;
        }
        step_bytes_ = 0;
        return true;
    }

private:
    static constexpr std::size_t initial_buffer = 16 * 1024;
    static constexpr std::size_t inline_body_limit = 16 * 1024; // bodies copied behind the head
    static constexpr std::size_t gather_min =
        256; // smaller bodies are copied even when sent at once
    static constexpr std::size_t min_body_read =
        4096; // room for a chunked body's reads behind its head
    static constexpr std::size_t pipeline_flush = 64 * 1024; // pending output flushed beyond this
    static constexpr std::chrono::seconds linger_time{1};
    static constexpr std::size_t linger_bytes = 1024 * 1024;
    static constexpr std::size_t body_reserve =
        64 * 1024; // a body's first buffer, whatever its length
    static constexpr std::size_t body_keep = 16 * 1024; // a body buffer kept for the next request
    // Fairness: a connection's task yields to the loop after this many bytes of body read or
    // streamed, or this many requests answered, without having waited for its socket in between
    // (a client that pipelines without pause, or reads as fast as a producer writes, would
    // otherwise keep the loop).
    static constexpr std::size_t fair_bytes = 64 * 1024;
    static constexpr std::size_t fair_requests = 32;
    static constexpr std::size_t file_copy_buffer = 64 * 1024; // a file body read without sendfile

    // How reading a request head ended.
    enum class head_end : std::uint8_t {
        more,          // not yet: the head goes on
        complete,      // head_ holds it
        malformed,     // the parser's error() says why
        closing,       // the server closes and no request has begun
        idle_timeout,  // no request began within idle_timeout
        head_timeout,  // the head did not end within header_timeout of its first byte
        client_closed, // the client closed (mid-request: nothing to answer)
    };

    // ---- the request loop (session.cpp)
    void start_request() noexcept;
    head_end parse_head();
    std::span<char> head_read_space(bool idle, clock::time_point& head_due);
    head_end head_read(bool idle, std::size_t n);
    task<void> end_before_request(head_end why);
    void accept_head();
    const handler* find_route(std::optional<server_response>& answer);
    void handler_failed(std::optional<server_response>& answer, const std::string& error);
    bool prepare(server_response& resp);
    task<bool> send_streamed(server_response& resp, bool keep);
    void start_head(const server_response& resp, bool keep_alive, bool chunked,
                    std::optional<std::uint64_t> content_length);
    task<void> write_out();
    task<void> flush();
    task<void> fail(int status, std::string_view reason);
    task<void> linger_close();
    void responded(int status, std::uint64_t bytes) const;

    // ---- the middleware chain and the error pages (session_dispatch.cpp)
    void note_failure(const handler* h) noexcept;
    task<void> answer_failure(std::optional<server_response>& resp);
    // Step i of the middleware chain for req: middleware i, or past the last one the router and
    // the handler (what `co_await next(req)` runs, through run_step).
    task<server_response> step(request& req, std::size_t i);
    static task<server_response> run_step(void* self, request& req, std::size_t i);
    task<server_response> endpoint(request& req);
    task<server_response> error_page(request& req, std::exception_ptr failure);

    // ---- the read buffer and the request body (session_body.cpp)
    [[nodiscard]] std::string_view buffered() const noexcept {
        return {buf_.get() + begin_, end_ - begin_};
    }
    std::span<char> read_space();
    task<bool> read_body();
    task<bool> read_sized_body();
    task<bool> read_chunked_body();
    bool grow_body(std::string& body, std::size_t keep, std::size_t need, std::size_t limit);
    void release_body() noexcept;

    // ---- a file body (session_file.cpp)
    task<bool> send_file_body(server_response& resp, bool keep);
    task<std::uint64_t> send_by_sendfile(const file_body& f);
    task<std::uint64_t> send_by_copy(const file_body& f);

    // ---- deadlines (session_deadlines.cpp)
    void arm_watchdog(std::chrono::milliseconds timeout);
    void arm_watchdog_until(clock::time_point due);
    void arm_send_watchdog();
    void arm_timer(clock::time_point due);
    void send_stalled() noexcept;
    task<std::size_t> timed_read(std::span<char> into, std::chrono::milliseconds timeout);
    static void on_watchdog(weft::detail::timer_node* n) noexcept;

    server::impl& srv_;
    net::connection& conn_;
    head_parser parser_;
    chunked_decoder chunks_;
    request_head head_;
    request req_;
    std::unique_ptr<char[]> buf_;
    std::size_t cap_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    // While the handler may still look at the request (pinned_), its head stays in the buffer at
    // [head_at_, head_at_ + head_size_): reading a chunked body may move it (see read_space) but
    // never overwrites it.
    std::size_t head_at_ = 0;
    std::size_t head_size_ = 0;
    bool pinned_ = false;
    out_buffer out_;          // response bytes not written yet
    std::string_view gather_; // the body to send after out_, in the same gathered write
    date_line date_;
    std::shared_ptr<connection_ref> ref_;
    counter* requests_ = nullptr; // this loop's
    std::size_t served_ = 0;
    bool head_request_ = false;
    // When the request's head was complete, for the access log's and the duration histogram's
    // duration; zero when both were off then.
    std::chrono::steady_clock::time_point started_{};
    // The exception of the middleware chain's first step, for the error page (see run()).
    std::exception_ptr failure_;

    std::size_t charged_ = 0;       // of the server's body budget: the body buffer's capacity
    std::size_t step_bytes_ = 0;    // body bytes read or streamed since the task last waited
    std::size_t step_requests_ = 0; // requests answered since the task last waited

    // Read and write timeouts without a timer per operation: one heap entry per connection,
    // re-armed lazily when it fires early. A read that times out is ended by shutting the
    // socket's read side (the read returns 0; writing a 408 still works); a write that made no
    // progress (the kernel took no byte of it: the client does not read) is ended by resetting
    // the connection.
    enum class wait_kind : std::uint8_t { none, read, write };
    struct watchdog : weft::detail::timer_node {
        session* owner = nullptr;
    } watchdog_;
    clock::time_point due_{};
    std::uint64_t sent_at_ = 0; // the connection's bytes sent at the write's last check
    int queued_at_ = -1;        // the kernel's unsent bytes at the last check (-1: unknown)
    int quiet_checks_ = 0;      // checks in a row that saw no progress
    wait_kind waiting_ = wait_kind::none;
    bool timed_out_ = false;
    bool send_timed_out_ = false;
};

} // namespace weft::http::detail

#pragma GCC visibility pop
