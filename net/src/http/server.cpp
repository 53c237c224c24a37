#include <weft/net/http/server.hpp>

#include "../tcp/connection_impl.hpp"
#include "parser.hpp"
#include "router.hpp"

#include <weft/net/connection.hpp>
#include <weft/net/error.hpp>
#include <weft/net/server.hpp>
#include <weft/runtime/detail/loop_ops.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/log.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/wait_for.hpp>

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <spdlog/logger.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace weft::http {

namespace detail {

/// Fills a request from a parsed head (the server's private access).
struct request_access {
    /// Points the request at the head's views (into the connection's read buffer).
    static void fill(request& r, const request_head& h) {
        r.method_ = h.method;
        r.target_ = h.target;
        std::string_view t = h.target;
        if (!t.empty() && t.front() != '/' && t.front() != '*') {
            // absolute-form (checked by the parser): drop scheme and authority; the path starts
            // right after the authority, so a '/' in the query is never taken for it.
            t.remove_prefix(t.find("://") + 3 + h.authority.size());
        }
        const auto q = t.find('?');
        r.path_ = t.substr(0, q);
        if (r.path_.empty()) {
            r.path_ = "/"; // http://h?x: an empty path is "/" (RFC 3986 section 6.2.3)
        }
        r.query_ = q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
        std::vector<header_view>& fields = r.headers_.fields_;
        fields.resize(h.fields.size());
        for (std::size_t i = 0; i < fields.size(); ++i) {
            fields[i] = {h.fields[i].name, h.fields[i].value};
        }
        r.version_minor_ = h.version_minor;
        r.keep_alive_ = h.keep_alive;
    }
    /// Forgets the previous request (its views point into bytes about to be reused).
    static void reset(request& r) noexcept {
        r.method_ = {};
        r.target_ = {};
        r.path_ = {};
        r.query_ = {};
        r.headers_.fields_.clear();
        if (!r.body_.empty()) {
            r.body_.clear();
        }
        if (!r.params_.empty()) {
            r.params_.clear();
        }
    }
    /// The head's bytes moved from [from, from + size) to to: moves the views with them.
    static void rebase(request& r, const char* from, std::size_t size, const char* to) noexcept {
        const auto lo = reinterpret_cast<std::uintptr_t>(from);
        const auto move = [&](std::string_view& v) {
            const auto at = reinterpret_cast<std::uintptr_t>(v.data());
            if (v.data() != nullptr && at >= lo && at <= lo + size) {
                v = std::string_view(to + (at - lo), v.size());
            }
        };
        move(r.method_);
        move(r.target_);
        move(r.path_);
        move(r.query_);
        for (header_view& f : r.headers_.fields_) {
            move(f.name);
            move(f.value);
        }
    }
    static void set_remote(request& r, std::string remote) { r.remote_ = std::move(remote); }
    static std::string& body(request& r) noexcept { return r.body_; }
    static std::vector<std::pair<std::string, std::string>>& params(request& r) noexcept {
        return r.params_;
    }
};

/// What the server reads of a response without settling it (no Content-Type copy, no body
/// copy).
struct response_access {
    /// The Content-Type kept inline, or empty.
    static std::string_view inline_type(const server_response& r) noexcept {
        return {r.type_, r.type_size_};
    }
    static const http::headers& fields(const server_response& r) noexcept { return r.headers_; }
    static std::string_view body(const server_response& r) noexcept {
        return r.borrowed_.data() != nullptr ? r.borrowed_ : std::string_view(r.body_);
    }
};

} // namespace detail

namespace {

using namespace std::chrono_literals;
using detail::body_framing;
using detail::parse_status;

spdlog::logger& http_log() {
    static spdlog::logger& l = weft::log::get("weft.http");
    return l;
}

// The response bytes not written yet: a plain growable buffer that the response head is
// formatted into in place (no per-piece capacity checks).
class out_buffer {
public:
    /// Room for n more bytes at the end; commit() what was written.
    char* reserve(std::size_t n) {
        if (cap_ - size_ < n) {
            const std::size_t cap = std::max({cap_ * 2, size_ + n, std::size_t{4096}});
            auto bigger = std::make_unique<char[]>(cap);
            if (size_ != 0) {
                std::memcpy(bigger.get(), data_.get(), size_);
            }
            data_ = std::move(bigger);
            cap_ = cap;
        }
        return data_.get() + size_;
    }
    void commit(char* end) noexcept { size_ = static_cast<std::size_t>(end - data_.get()); }
    void append(std::string_view s) {
        char* p = reserve(s.size());
        std::memcpy(p, s.data(), s.size());
        size_ += s.size();
    }
    [[nodiscard]] std::span<const char> bytes() const noexcept { return {data_.get(), size_}; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    void clear() noexcept { size_ = 0; }

private:
    std::unique_ptr<char[]> data_;
    std::size_t size_ = 0;
    std::size_t cap_ = 0;
};

char* put(char* p, std::string_view s) noexcept {
    std::memcpy(p, s.data(), s.size());
    return p + s.size();
}

// "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n", formatted again when the second changes (the
// coarse real-time clock: a vDSO read without a time-stamp counter).
class date_line {
public:
    static constexpr std::size_t size = 37;

    std::string_view get() noexcept {
        timespec ts{};
        ::clock_gettime(CLOCK_REALTIME_COARSE, &ts);
        if (ts.tv_sec != second_) {
            format(ts.tv_sec);
        }
        return {text_, size};
    }

private:
    void format(std::time_t t) noexcept {
        second_ = t;
        std::tm tm{};
        gmtime_r(&t, &tm);
        static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        char buf[64];
        std::snprintf(buf, sizeof buf, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
                      days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
                      (tm.tm_year + 1900) % 10000, tm.tm_hour % 100, tm.tm_min % 100,
                      tm.tm_sec % 100);
        std::memcpy(text_, buf, size);
    }

    std::time_t second_ = -1;
    char text_[size] = {};
};

// "HTTP/1.1 200 OK\r\n" for a status of 100-999.
char* put_status_line(char* p, int status) noexcept {
    static constexpr std::string_view ok = "HTTP/1.1 200 OK\r\n";
    if (status == 200) {
        return put(p, ok);
    }
    p = put(p, "HTTP/1.1 ");
    *p++ = static_cast<char>('0' + status / 100);
    *p++ = static_cast<char>('0' + status / 10 % 10);
    *p++ = static_cast<char>('0' + status % 10);
    *p++ = ' ';
    p = put(p, detail::reason_phrase(status));
    return put(p, "\r\n");
}

// Whether a response with this status has a body (RFC 9110 section 6.4.1).
constexpr bool carries_body(int status) noexcept {
    return status >= 200 && status != 204 && status != 304;
}

bool has_token(std::string_view list, std::string_view token) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
            item.remove_prefix(1);
        }
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
            item.remove_suffix(1);
        }
        if (iequals(item, token)) {
            return true;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        list.remove_prefix(comma + 1);
    }
    return false;
}

struct alignas(64) counter {
    std::atomic<std::uint64_t> v{0};
    void add(std::uint64_t n = 1) noexcept { v.fetch_add(n, std::memory_order_relaxed); }
    void sub(std::uint64_t n = 1) noexcept { v.fetch_sub(n, std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t get() const noexcept { return v.load(std::memory_order_relaxed); }
};

// What close() needs to reach a connection that waits for its next request.
struct connection_ref {
    weft::loop* home = nullptr;
    net::connection* conn = nullptr;
    bool idle = false; // loop thread only
    bool alive = true; // loop thread only
};

constexpr std::size_t initial_buffer = 16 * 1024;
constexpr std::size_t inline_body_limit = 16 * 1024; // bodies copied behind the head
constexpr std::size_t gather_min = 256;     // smaller bodies are copied even when sent at once
constexpr std::size_t min_body_read = 4096; // room for a chunked body's reads behind its head
constexpr std::size_t pipeline_flush = 64 * 1024; // pending output flushed beyond this
constexpr auto linger_time = 1s;
constexpr std::size_t linger_bytes = 1024 * 1024;
constexpr std::size_t body_reserve = 64 * 1024; // a body's first buffer, whatever its length
constexpr std::size_t body_keep = 16 * 1024;    // a body buffer kept for the next request
// Fairness: a connection's task yields to the loop after this many bytes of body read or
// streamed, or this many requests answered, without having waited for its socket in between (a
// client that pipelines without pause, or reads as fast as a producer writes, would otherwise
// keep the loop).
constexpr std::size_t fair_bytes = 64 * 1024;
constexpr std::size_t fair_requests = 32;

} // namespace

struct server::impl : std::enable_shared_from_this<server::impl> {
    explicit impl(server_options o) : opts(std::move(o)) {
        if (!opts.server_name.empty()) {
            server_line = "Server: " + opts.server_name + "\r\n";
        }
        limits.max_request_line = opts.max_request_line;
        limits.max_header_bytes = opts.max_header_bytes;
        limits.max_headers = opts.max_headers;
        limits.max_body_size = opts.max_body_size;
    }

    server_options opts;
    std::string server_line; // "Server: weft\r\n", or empty
    detail::parser_limits limits;
    detail::router routes;
    std::optional<net::server> tcp;
    std::atomic<bool> listening{false};
    std::atomic<bool> closing{false};
    promise<void> closed_promise;
    future<void> closed_future = closed_promise.get_future();

    std::mutex refs_mtx;
    std::unordered_set<std::shared_ptr<connection_ref>> refs;

    counter connections_open, connections_total, bad_requests, too_large, not_implemented, timeouts,
        not_found, method_not_allowed, handler_errors, io_errors, send_timeouts, over_budget;
    counter buffered; // request body bytes held now, over all loops (max_buffered_bytes)

    // Takes n bytes of the body budget; false (nothing taken) when they do not fit.
    bool charge(std::size_t n) noexcept {
        const std::uint64_t before = buffered.v.fetch_add(n, std::memory_order_relaxed);
        if (before + n > opts.max_buffered_bytes) {
            buffered.sub(n);
            return false;
        }
        return true;
    }
    // Responses sent, counted per loop: one counter that every loop bumps per request would
    // bounce its cache line between the cores. Guarded by refs_mtx; never shrinks.
    struct loop_requests {
        weft::loop* home = nullptr;
        counter n;
    };
    std::vector<std::unique_ptr<loop_requests>> requests;

    // The request counter of loop l (refs_mtx held).
    counter& requests_of(weft::loop* l) {
        for (const std::unique_ptr<loop_requests>& r : requests) {
            if (r->home == l) {
                return r->n;
            }
        }
        requests.push_back(std::make_unique<loop_requests>());
        requests.back()->home = l;
        return requests.back()->n;
    }

    void count_error_status(int status) noexcept {
        switch (status) {
        case 413:
        case 414:
        case 431:
            too_large.add();
            break;
        case 501:
            not_implemented.add();
            break;
        case 408:
            timeouts.add();
            break;
        case 503:
            over_budget.add();
            break;
        default:
            bad_requests.add();
            break;
        }
    }

    static task<void> serve_connection(std::shared_ptr<impl> self, net::connection conn);
};

namespace {

// One connection's request loop.
class session {
public:
    session(server::impl& srv, net::connection& conn)
        : srv_(srv), conn_(conn), parser_(srv.limits), chunks_(srv.limits),
          buf_(std::make_unique<char[]>(initial_buffer)), cap_(initial_buffer) {
        try {
            detail::request_access::set_remote(req_, conn_.peer_endpoint().to_string());
        } catch (const std::exception&) {
            detail::request_access::set_remote(req_, "?");
        }
        ref_ = std::make_shared<connection_ref>();
        ref_->home = weft::detail::current_loop_ptr();
        ref_->conn = &conn_;
        std::lock_guard lock(srv_.refs_mtx);
        srv_.refs.insert(ref_);
        requests_ = &srv_.requests_of(ref_->home);
    }
    session(const session&) = delete;
    session& operator=(const session&) = delete;
    ~session() {
        if (watchdog_.armed()) {
            weft::detail::remove_timer(*ref_->home, &watchdog_);
        }
        srv_.buffered.sub(charged_);
        ref_->alive = false;
        std::lock_guard lock(srv_.refs_mtx);
        srv_.refs.erase(ref_);
    }

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
        void await_resume() {
            if (armed_) {
                s_.waiting_ = wait_kind::none;
            }
            op_.await_resume();
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
    [[nodiscard]] std::string_view buffered() const noexcept {
        return {buf_.get() + begin_, end_ - begin_};
    }
    std::span<char> read_space();
    void arm_watchdog(std::chrono::milliseconds timeout);
    void arm_watchdog_until(clock::time_point due);
    void arm_send_watchdog();
    void arm_timer(clock::time_point due);
    void send_stalled() noexcept;
    bool grow_body(std::string& body, std::size_t keep, std::size_t need, std::size_t limit);
    void release_body() noexcept;
    task<std::size_t> timed_read(std::span<char> into, std::chrono::milliseconds timeout);
    static void on_watchdog(weft::detail::timer_node* n) noexcept;
    task<bool> read_body();
    const handler* find_route(std::optional<server_response>& answer);
    bool prepare(server_response& resp);
    task<bool> send_streamed(server_response& resp, bool keep);
    task<void> flush();
    task<void> fail(int status, std::string_view reason);
    task<void> linger_close();
    void start_head(const server_response& resp, bool keep_alive, bool chunked,
                    std::optional<std::uint64_t> content_length);
    task<void> write_out();
    void access_log(int status, std::uint64_t bytes) const;

    server::impl& srv_;
    net::connection& conn_;
    detail::head_parser parser_;
    detail::chunked_decoder chunks_;
    detail::request_head head_;
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

void session::on_watchdog(weft::detail::timer_node* n) noexcept {
    session& s = *static_cast<watchdog*>(n)->owner;
    if (s.waiting_ == wait_kind::none) {
        return; // the next read or write arms it again
    }
    weft::loop& home = *s.ref_->home;
    if (weft::detail::loop_time(home) < s.due_) {
        n->deadline = s.due_;
        weft::detail::add_timer(home, n);
        return;
    }
    if (s.waiting_ == wait_kind::write) {
        s.send_stalled();
        return;
    }
    s.timed_out_ = true;
    ::shutdown(s.conn_.native_handle(), SHUT_RD);
}

// A write's check, every send_timeout / 2: progress is bytes handed to the kernel since the last
// check, or a change of the bytes the kernel holds unsent or unacknowledged (the client reads,
// and acknowledges, however slowly). Two checks in a row without progress reset the connection
// (its pending write fails), which also drops the bytes queued in the kernel.
void session::send_stalled() noexcept {
    const std::uint64_t sent = conn_.impl()->bytes_sent;
    int queued = -1;
    if (::ioctl(conn_.native_handle(), SIOCOUTQ, &queued) != 0) {
        queued = -1;
    }
    const bool progress = sent != sent_at_ || (queued_at_ >= 0 && queued != queued_at_);
    sent_at_ = sent;
    queued_at_ = queued;
    quiet_checks_ = progress ? 0 : quiet_checks_ + 1;
    if (quiet_checks_ >= 2) {
        send_timed_out_ = true;
        conn_.abort();
        return;
    }
    weft::loop& home = *ref_->home;
    due_ = weft::detail::loop_time(home) + srv_.opts.send_timeout / 2;
    watchdog_.deadline = due_;
    weft::detail::add_timer(home, &watchdog_);
}

void session::arm_watchdog(std::chrono::milliseconds timeout) {
    arm_watchdog_until(weft::detail::loop_time(*ref_->home) + timeout);
}

void session::arm_watchdog_until(clock::time_point due) {
    arm_timer(due);
    waiting_ = wait_kind::read;
}

void session::arm_send_watchdog() {
    // No system call here: the first check learns the kernel's queue, so a write that never
    // moves is reset at the second one, send_timeout after it began to wait.
    arm_timer(weft::detail::loop_time(*ref_->home) + srv_.opts.send_timeout / 2);
    sent_at_ = conn_.impl()->bytes_sent;
    queued_at_ = -1;
    quiet_checks_ = 0;
    waiting_ = wait_kind::write;
}

// Sets the deadline to due; the timer fires at or before it (a later due is caught when it
// fires early).
void session::arm_timer(clock::time_point due) {
    weft::loop& home = *ref_->home;
    due_ = due;
    if (!watchdog_.armed()) {
        watchdog_.owner = this;
        watchdog_.fire = &on_watchdog;
        watchdog_.deadline = due_;
        weft::detail::add_timer(home, &watchdog_);
    } else if (watchdog_.deadline > due_) {
        weft::detail::remove_timer(home, &watchdog_);
        watchdog_.deadline = due_;
        weft::detail::add_timer(home, &watchdog_);
    }
}

task<std::size_t> session::timed_read(std::span<char> into, std::chrono::milliseconds timeout) {
    arm_watchdog(timeout);
    std::size_t n = 0;
    try {
        auto op = conn_.read_some(into);
        n = co_await noted(*this, op);
    } catch (...) {
        waiting_ = wait_kind::none;
        throw;
    }
    waiting_ = wait_kind::none;
    if (timed_out_) {
        throw weft::timeout_error("read timed out");
    }
    co_return n;
}

// Makes room at the end of the read buffer and returns it. A pinned head moves to the front
// with the unread bytes (the request's views move with it); the bytes between them, a chunked
// body already decoded, are dropped. Behind a pinned head there is room for a sizeable read.
std::span<char> session::read_space() {
    const std::size_t keep = pinned_ ? head_size_ : 0;
    const std::size_t want = pinned_ ? min_body_read : 1;
    if (begin_ == end_) {
        begin_ = end_ = pinned_ ? head_at_ + head_size_ : 0;
    }
    if (cap_ - end_ < want) {
        char* const base = buf_.get();
        const std::size_t unread = end_ - begin_;
        if (cap_ - keep - unread >= want) {
            if (pinned_ && head_at_ > 0) {
                std::memmove(base, base + head_at_, keep);
                detail::request_access::rebase(req_, base + head_at_, keep, base);
            }
            std::memmove(base + keep, base + begin_, unread);
        } else {
            // Bounded: the parser fails a head larger than max_header_bytes, so the buffer never
            // grows much past it.
            const std::size_t cap = std::max(cap_ * 2, keep + unread + want);
            auto bigger = std::make_unique<char[]>(cap);
            if (pinned_) {
                std::memcpy(bigger.get(), base + head_at_, keep);
                detail::request_access::rebase(req_, base + head_at_, keep, bigger.get());
            }
            std::memcpy(bigger.get() + keep, base + begin_, unread);
            buf_ = std::move(bigger);
            cap_ = cap;
        }
        head_at_ = 0;
        begin_ = keep;
        end_ = keep + unread;
    }
    return {buf_.get() + end_, cap_ - end_};
}

task<void> session::write_out() {
    auto op = conn_.write_all(out_.bytes());
    co_await timed(*this, op);
    out_.clear();
}

task<void> session::flush() {
    if (!out_.empty()) {
        co_await write_out();
    }
}

task<void> session::linger_close() {
    // Closing a socket with unread input resets the connection, and the client may lose the
    // response still in flight: send FIN, then discard what the client still sends, for a
    // while.
    conn_.shutdown_write();
    try {
        std::size_t total = 0;
        while (total < linger_bytes) {
            const std::size_t n = co_await weft::wait_for(
                conn_.read_some(std::span<char>(buf_.get(), cap_)), linger_time);
            if (n == 0) {
                break;
            }
            total += n;
        }
    } catch (const weft::error&) {
        // timeout, reset: the connection ends either way
    }
    conn_.close();
}

task<void> session::fail(int status, std::string_view reason) {
    srv_.count_error_status(status);
    requests_->add();
    if (http_log().should_log(spdlog::level::debug)) {
        http_log().debug("{}: {} {} ({})", req_.remote_address(), status,
                         detail::reason_phrase(status), reason);
    }
    server_response resp(status, std::string(detail::reason_phrase(status)) + "\n");
    head_request_ = false;
    start_head(resp, false, false, resp.body().size());
    out_.append(resp.body());
    access_log(status, resp.body().size());
    co_await flush();
    co_await linger_close();
}

// Formats the response head into out_ in place: the status line, the handler's fields, Server,
// Date, the framing and Connection.
void session::start_head(const server_response& resp, bool keep_alive, bool chunked,
                         std::optional<std::uint64_t> content_length) {
    const int status = resp.status();
    const std::string_view type = detail::response_access::inline_type(resp);
    const http::headers& fields = detail::response_access::fields(resp);
    constexpr std::size_t fixed = 64 /* status line */ + 16 + 64 /* Content-Type */ +
                                  date_line::size + 48 /* framing */ + 32 /* Connection */ + 2;
    std::size_t bound = fixed + srv_.server_line.size();
    for (const header_field& f : fields) {
        bound += f.name.size() + f.value.size() + 4;
    }
    char* const start = out_.reserve(bound);
    char* p = put_status_line(start, status);
    if (!type.empty()) {
        p = put(p, "Content-Type: ");
        p = put(p, type);
        p = put(p, "\r\n");
    }
    bool has_date = false;
    bool has_server = false;
    for (const header_field& f : fields) {
        switch (f.name.empty() ? '\0' : f.name.front() | 0x20) {
        case 'c':
            if (iequals(f.name, "content-length") || iequals(f.name, "connection")) {
                continue;
            }
            break;
        case 't':
            if (iequals(f.name, "transfer-encoding")) {
                continue;
            }
            break;
        case 'd':
            has_date = has_date || iequals(f.name, "date");
            break;
        case 's':
            has_server = has_server || iequals(f.name, "server");
            break;
        default:
            break;
        }
        p = put(p, f.name);
        p = put(p, ": ");
        p = put(p, f.value);
        p = put(p, "\r\n");
    }
    if (!has_server) {
        p = put(p, srv_.server_line);
    }
    if (!has_date) {
        p = put(p, date_.get());
    }
    if (chunked) {
        p = put(p, "Transfer-Encoding: chunked\r\n");
    } else if (content_length) {
        p = put(p, "Content-Length: ");
        p = std::to_chars(p, p + 24, *content_length).ptr;
        p = put(p, "\r\n");
    }
    if (!keep_alive) {
        p = put(p, "Connection: close\r\n");
    } else if (req_.version_minor() == 0) {
        p = put(p, "Connection: keep-alive\r\n");
    }
    p = put(p, "\r\n");
    out_.commit(p);
}

void session::access_log(int status, std::uint64_t bytes) const {
    spdlog::logger& log = http_log();
    if (log.should_log(spdlog::level::info)) {
        log.info("{} \"{} {} HTTP/1.{}\" {} {}", req_.remote_address(), req_.method(),
                 req_.target(), req_.version_minor(), status, bytes);
    }
}

task<bool> session::read_body() {
    std::string& body = detail::request_access::body(req_);
    if (head_.framing == body_framing::content_length) {
        const auto length = static_cast<std::size_t>(head_.content_length);
        const std::size_t take = std::min(length, end_ - begin_);
        // The body is read straight into its own buffer, past the connection's; that buffer
        // grows with the bytes that arrive, not with what Content-Length announces. Its first
        // part is taken from the budget before a client that waits is told to send.
        if (!grow_body(body, 0, std::max<std::size_t>(take, 1), length)) {
            co_await fail(503, "request body budget reached");
            co_return false;
        }
        if (take < length && head_.expect_continue) {
            out_.append("HTTP/1.1 100 Continue\r\n\r\n");
        }
        co_await flush();
        body.resize(std::min(charged_, length));
        std::memcpy(body.data(), buf_.get() + begin_, take);
        begin_ += take;
        std::size_t have = take;
        while (have < length) {
            if (have == body.size()) {
                if (!grow_body(body, have, have + 1, length)) {
                    co_await fail(503, "request body budget reached");
                    co_return false;
                }
                body.resize(std::min(charged_, length));
            }
            std::size_t n = 0;
            try {
                n = co_await timed_read(std::span<char>(body.data() + have, body.size() - have),
                                        srv_.opts.body_timeout);
            } catch (const weft::timeout_error&) {
                n = static_cast<std::size_t>(-1);
            }
            if (n == static_cast<std::size_t>(-1)) {
                co_await fail(408, "body timeout");
                co_return false;
            }
            if (n == 0) {
                co_return false; // the client gave up
            }
            have += n;
            if (spend(n)) {
                co_await weft::yield();
            }
        }
        co_return true;
    }
    if (head_.framing == body_framing::chunked) {
        chunks_.reset();
        if (begin_ == end_ && head_.expect_continue) {
            out_.append("HTTP/1.1 100 Continue\r\n\r\n");
        }
        co_await flush();
        for (;;) {
            // Decoded bytes never outnumber the encoded ones: room for all that is buffered
            // keeps the decoder from growing the body past what the budget charged.
            if (!grow_body(body, body.size(), body.size() + (end_ - begin_),
                           static_cast<std::size_t>(srv_.opts.max_body_size))) {
                co_await fail(503, "request body budget reached");
                co_return false;
            }
            std::size_t used = 0;
            const parse_status st = chunks_.feed(buffered(), used, body);
            begin_ += used;
            if (st == parse_status::complete) {
                co_return true;
            }
            if (st == parse_status::error) {
                co_await fail(chunks_.error().status, chunks_.error().reason);
                co_return false;
            }
            std::size_t n = 0;
            bool timed_out = false;
            try {
                const std::span<char> space = read_space();
                n = co_await timed_read(space, srv_.opts.body_timeout);
                end_ += n;
            } catch (const weft::timeout_error&) {
                timed_out = true;
            }
            if (timed_out) {
                co_await fail(408, "body timeout");
                co_return false;
            }
            if (n == 0) {
                co_return false;
            }
            if (spend(n)) {
                co_await weft::yield();
            }
        }
    }
    co_return true;
}

// Makes room in the body buffer for need bytes, its first keep bytes kept: it grows to twice its
// size (at least body_reserve) or need if larger, but not past limit, and the growth is charged
// to the server's budget. False, with nothing changed, when the budget cannot take it.
bool session::grow_body(std::string& body, std::size_t keep, std::size_t need, std::size_t limit) {
    if (need <= charged_) {
        return true;
    }
    const std::size_t target =
        std::max(need, std::min(limit, std::max(charged_ * 2, body_reserve)));
    if (!srv_.charge(target - charged_)) {
        return false;
    }
    std::string bigger;
    try {
        bigger.reserve(target);
    } catch (...) {
        srv_.buffered.sub(target - charged_);
        throw;
    }
    bigger.append(body.data(), std::min(keep, body.size()));
    body.swap(bigger);
    charged_ = target;
    return true;
}

// After a request: a large body buffer goes back to the allocator (and the budget); a small one
// is kept for the next request.
void session::release_body() noexcept {
    std::string& body = detail::request_access::body(req_);
    if (charged_ > body_keep || body.capacity() < charged_) {
        std::string().swap(body);
        srv_.buffered.sub(charged_);
        charged_ = 0;
    }
}

// The handler for the request, or null with the router's own answer (404, 405) in answer.
const handler* session::find_route(std::optional<server_response>& answer) {
    auto& params = detail::request_access::params(req_);
    detail::router::match m = srv_.routes.find(req_.method(), req_.path(), params);
    if (m.found != nullptr) {
        return m.found;
    }
    if (!m.allow.empty()) {
        srv_.method_not_allowed.add();
        answer.emplace(405, "Method Not Allowed\n");
        answer->set_header("Allow", std::move(m.allow));
    } else {
        srv_.not_found.add();
        answer.emplace(404, "Not Found\n");
    }
    return nullptr;
}

// Body writer of a streamed response: chunked for HTTP/1.1, raw (ended by closing) for 1.0. Each
// write is bounded by send_timeout, and the producer yields to the loop after every fair_bytes
// written, even when every write finds room in the socket at once.
class stream_writer final : public body_writer {
public:
    stream_writer(session& s, net::connection& c, bool chunked)
        : session_(s), conn_(c), chunked_(chunked) {}

    task<void> write(std::string_view data) override {
        if (data.empty()) {
            co_return;
        }
        try {
            if (chunked_) {
                char size[24];
                auto [end, ec] = std::to_chars(size, size + sizeof size - 2, data.size(), 16);
                *end++ = '\r';
                *end++ = '\n';
                static constexpr char crlf[] = "\r\n";
                const std::array<std::span<const char>, 3> parts{
                    std::span<const char>(size, static_cast<std::size_t>(end - size)),
                    std::span<const char>(data.data(), data.size()),
                    std::span<const char>(crlf, 2)};
                auto op = conn_.write_all(std::span<const std::span<const char>>(parts));
                co_await session::timed(session_, op);
            } else {
                auto op = conn_.write_all(std::span<const char>(data.data(), data.size()));
                co_await session::timed(session_, op);
            }
        } catch (const net::error&) {
            io_failed_ = true; // the client is gone: not the producer's failure
            throw;
        }
        written_ += data.size();
        if (session_.spend(data.size())) {
            co_await weft::yield();
        }
    }

    /// Whether a write to the client failed.
    [[nodiscard]] bool io_failed() const noexcept { return io_failed_; }

private:
    session& session_;
    net::connection& conn_;
    bool chunked_;
    bool io_failed_ = false;
};

// Decides whether the connection stays open after resp, and for an in-memory body formats the
// response into out_. A body that is large, or that goes out at once (no pipelined request
// waits to be answered in the same write), is not copied: it is left in gather_ for a gathered
// write after out_.
bool session::prepare(server_response& resp) {
    if (resp.status() < 100 || resp.status() > 999) {
        resp.set_status(500);
    }
    bool keep = req_.keep_alive() && !srv_.closing.load(std::memory_order_relaxed) &&
                (srv_.opts.max_requests_per_connection == 0 ||
                 served_ < srv_.opts.max_requests_per_connection);
    const http::headers& fields = detail::response_access::fields(resp);
    if (keep && !fields.empty()) {
        if (auto c = fields.get("connection"); c && has_token(*c, "close")) {
            keep = false;
        }
    }
    requests_->add();
    gather_ = {};
    if (resp.is_streamed()) {
        return keep;
    }
    const int status = resp.status();
    const bool no_body = !carries_body(status);
    const std::string_view body = detail::response_access::body(resp);
    start_head(resp, keep, false,
               no_body ? std::nullopt : std::optional<std::uint64_t>(body.size()));
    const bool send_body = !head_request_ && !no_body;
    if (send_body && !body.empty()) {
        const bool flush_now = !keep || begin_ == end_ || out_.size() >= pipeline_flush;
        if (body.size() > inline_body_limit || (flush_now && body.size() >= gather_min)) {
            gather_ = body;
        } else {
            out_.append(body);
        }
    }
    access_log(status, send_body ? body.size() : 0);
    return keep;
}

// Sends a streamed response: the head, then the producer's parts; false when the connection must
// end.
task<bool> session::send_streamed(server_response& resp, bool keep) {
    const int status = resp.status();
    const bool no_body = !carries_body(status);
    const bool chunked = req_.version_minor() == 1;
    if (!chunked) {
        keep = false; // an HTTP/1.0 client reads the body up to the close
    }
    start_head(resp, keep, chunked && !no_body, std::nullopt);
    co_await flush();
    std::uint64_t bytes = 0;
    if (!head_request_ && !no_body) {
        stream_writer w(*this, conn_, chunked);
        bool failed = false;
        try {
            task<void> t = resp.producer()(w);
            co_await std::move(t);
        } catch (const weft::cancelled_error&) {
            throw;
        } catch (const std::exception& e) {
            failed = true;
            if (w.io_failed()) {
                http_log().debug("{}: client gone during the body of {} {}: {}",
                                 req_.remote_address(), req_.method(), req_.target(), e.what());
            } else {
                http_log().error("body producer for {} {} threw: {}", req_.method(), req_.target(),
                                 e.what());
            }
        }
        if (failed) {
            // Too late for a 500: end the connection without the last chunk, so the client
            // sees an incomplete body.
            if (!w.io_failed()) {
                srv_.handler_errors.add();
            } else if (!send_timed_out_ && !srv_.closing.load(std::memory_order_relaxed)) {
                srv_.io_errors.add();
            }
            access_log(status, w.bytes_written());
            conn_.abort();
            co_return false;
        }
        bytes = w.bytes_written();
        if (chunked) {
            out_.append("0\r\n\r\n");
        }
    }
    access_log(status, bytes);
    co_return keep;
}

task<void> session::run() {
    std::optional<server_response> resp;
    for (;;) {
        // ---- the request head
        detail::request_access::reset(req_);
        release_body();
        pinned_ = false;
        parser_.reset();
        // header_timeout bounds the whole head from its first byte, not each read: a client
        // that drips the head a byte at a time still gets 408 (slowloris).
        clock::time_point head_due{};
        for (;;) {
            const parse_status st = parser_.parse(buffered(), head_);
            if (st == parse_status::complete) {
                break;
            }
            if (st == parse_status::error) {
                co_await flush();
                co_await fail(parser_.error().status, parser_.error().reason);
                co_return;
            }
            if (!out_.empty()) { // answers to pipelined requests, in one write
                co_await write_out();
            }
            const bool idle = begin_ == end_;
            if (idle && srv_.closing.load(std::memory_order_relaxed)) {
                co_await linger_close();
                co_return;
            }
            // The read is awaited right here (no coroutine frame per read); the watchdog ends it
            // on timeout.
            const std::span<char> space = read_space();
            ref_->idle = idle;
            if (idle) {
                arm_watchdog(srv_.opts.idle_timeout);
            } else {
                if (head_due == clock::time_point{}) {
                    head_due = weft::detail::loop_time(*ref_->home) + srv_.opts.header_timeout;
                }
                arm_watchdog_until(head_due);
            }
            auto op = conn_.read_some(space);
            const std::size_t n = co_await noted(*this, op);
            waiting_ = wait_kind::none;
            ref_->idle = false;
            if (timed_out_) {
                if (idle) {
                    srv_.timeouts.add();
                    co_await linger_close();
                } else {
                    co_await fail(408, "request head timeout");
                }
                co_return;
            }
            if (n == 0) {
                co_return; // the client closed (mid-request: nothing to answer)
            }
            end_ += n;
        }
        ++served_;
        detail::request_access::fill(req_, head_);
        head_request_ = req_.method() == "HEAD";
        head_at_ = begin_;
        head_size_ = head_.consumed;
        pinned_ = true;
        begin_ += head_.consumed;

        // ---- the body
        if (head_.framing != body_framing::none) {
            const bool complete = co_await read_body();
            if (!complete) {
                co_return;
            }
        }

        // ---- the handler
        resp.reset();
        if (const handler* h = find_route(resp)) {
            std::string error;
            try {
                task<server_response> t = (*h)(req_);
                resp.emplace(co_await std::move(t));
            } catch (const weft::cancelled_error&) {
                throw;
            } catch (const std::exception& e) {
                error = e.what();
            } catch (...) {
                error = "unknown exception";
            }
            if (!resp) {
                srv_.handler_errors.add();
                http_log().error("handler for {} {} threw: {}", req_.method(), req_.target(),
                                 error);
                resp.emplace(500, "Internal Server Error\n");
            }
        }

        // ---- the response
        bool keep = prepare(*resp);
        if (resp->is_streamed()) {
            keep = co_await send_streamed(*resp, keep);
            if (!keep || begin_ == end_) {
                co_await flush();
            }
        } else if (!gather_.empty()) {
            const std::array<std::span<const char>, 2> parts{
                out_.bytes(), std::span<const char>(gather_.data(), gather_.size())};
            auto op = conn_.write_all(std::span<const std::span<const char>>(parts));
            co_await timed(*this, op);
            out_.clear();
            gather_ = {};
        } else if (!keep || begin_ == end_ || out_.size() >= pipeline_flush) {
            // Pipelined requests already buffered are answered together, in one write.
            co_await write_out();
        }
        if (!keep) {
            co_await flush();
            co_await linger_close();
            co_return;
        }
        if (++step_requests_ == fair_requests) {
            // A client that pipelines without pause finds every read ready: let the loop's other
            // tasks run (the answers so far go out first).
            step_requests_ = 0;
            co_await flush();
            co_await weft::yield();
        }
    }
}

} // namespace

task<void> server::impl::serve_connection(std::shared_ptr<impl> self, net::connection conn) {
    self->connections_open.add();
    self->connections_total.add();
    struct open_guard {
        impl* s;
        ~open_guard() { s->connections_open.sub(); }
    } guard{self.get()};
    session s(*self, conn);
    try {
        co_await s.run();
    } catch (const net::error& e) {
        if (!s.send_timed_out() && !self->closing.load(std::memory_order_relaxed)) {
            self->io_errors.add();
        }
        http_log().debug("connection ended: {}", e.what());
    } catch (const std::exception& e) {
        self->io_errors.add();
        http_log().error("connection failed: {}", e.what());
    }
    if (s.send_timed_out()) {
        self->send_timeouts.add();
        if (http_log().should_log(spdlog::level::debug)) {
            http_log().debug("connection reset: a response write made no progress for {} ms",
                             self->opts.send_timeout.count());
        }
    }
}

std::size_t default_max_connections() noexcept {
    constexpr std::size_t ceiling = std::size_t{1} << 20;
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY ||
        lim.rlim_cur > ceiling) {
        return ceiling;
    }
    const auto soft = static_cast<std::size_t>(lim.rlim_cur);
    const std::size_t reserve = std::max<std::size_t>(32, soft / 16);
    return soft > reserve ? soft - reserve : 1;
}

server::server(server_options opts) : impl_(std::make_shared<impl>(std::move(opts))) {}

server::~server() {
    close();
    // The listening server holds the connection handler, which holds impl: drop it to break the
    // cycle. Connections still running keep impl alive through their own reference.
    impl_->tcp.reset();
}

server& server::route(std::string_view method, std::string_view pattern, handler h) {
    if (impl_->listening.load()) {
        throw weft::error("weft::http::server::route: add routes before listen()");
    }
    impl_->routes.add(method, pattern, std::move(h));
    return *this;
}

task<void> server::listen(std::string host, std::uint16_t port) {
    if (impl_->listening.exchange(true)) {
        throw weft::error("weft::http::server::listen: already listening");
    }
    net::server_options o;
    o.backlog = impl_->opts.backlog;
    // net::server counts its limit over all loops, as this option does (0 there: no limit).
    const std::size_t max_connections = impl_->opts.max_connections;
    o.max_connections = max_connections == 0          ? default_max_connections()
                        : max_connections == SIZE_MAX ? 0
                                                      : max_connections;
    if (impl_->opts.loops != 0) {
        o.loops = impl_->opts.loops;
    }
    std::shared_ptr<impl> self = impl_;
    auto on_connection = [self](net::connection c) -> task<void> {
        return impl::serve_connection(self, std::move(c));
    };
    impl_->tcp.emplace(
        co_await net::start_server(std::move(on_connection), std::move(host), port, std::move(o)));
}

task<void> server::serve(std::string host, std::uint16_t port) {
    co_await listen(std::move(host), port);
    future<void> closed = impl_->closed_future;
    co_await closed;
    co_await wait_closed();
}

std::uint16_t server::port() const noexcept {
    return impl_->tcp ? impl_->tcp->port() : 0;
}

void server::close() {
    if (!impl_ || impl_->closing.exchange(true)) {
        return;
    }
    if (impl_->tcp) {
        impl_->tcp->close();
    }
    {
        std::lock_guard lock(impl_->refs_mtx);
        for (const std::shared_ptr<connection_ref>& ref : impl_->refs) {
            if (ref->home == nullptr) {
                continue;
            }
            weft::detail::post(*ref->home, [ref] {
                if (ref->alive && ref->idle) {
                    ref->conn->close(); // its pending read fails: the session ends
                }
            });
        }
    }
    impl_->closed_promise.set_value();
}

task<void> server::wait_closed(std::optional<clock::duration> grace) {
    if (impl_->tcp) {
        co_await impl_->tcp->wait_closed(grace);
    }
}

server_stats server::stats() const noexcept {
    const impl& i = *impl_;
    server_stats s;
    s.connections_open = i.connections_open.get();
    s.connections_total = i.connections_total.get();
    {
        std::lock_guard lock(impl_->refs_mtx);
        for (const auto& r : impl_->requests) {
            s.requests += r->n.get();
        }
    }
    s.bad_requests = i.bad_requests.get();
    s.too_large = i.too_large.get();
    s.not_implemented = i.not_implemented.get();
    s.timeouts = i.timeouts.get();
    s.not_found = i.not_found.get();
    s.method_not_allowed = i.method_not_allowed.get();
    s.handler_errors = i.handler_errors.get();
    s.io_errors = i.io_errors.get();
    s.send_timeouts = i.send_timeouts.get();
    s.over_budget = i.over_budget.get();
    s.buffered_bytes = i.buffered.get();
    return s;
}

} // namespace weft::http
