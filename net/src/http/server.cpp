#include <weft/net/http/server.hpp>

#include "parser.hpp"
#include "router.hpp"

#include <weft/net/connection.hpp>
#include <weft/net/error.hpp>
#include <weft/net/server.hpp>
#include <weft/runtime/detail/loop_ops.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/log.hpp>
#include <weft/runtime/wait_for.hpp>

#include <sys/socket.h>

#include <spdlog/logger.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
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
    static void fill(request& r, const request_head& h, const std::string& remote) {
        r.method_.assign(h.method);
        r.target_.assign(h.target);
        std::string_view t = r.target_;
        if (!t.empty() && t.front() != '/' &&
            t.front() != '*') { // absolute-form: drop the authority
            const auto scheme = t.find("://");
            const auto slash = t.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
            t = slash == std::string_view::npos ? std::string_view("/") : t.substr(slash);
        }
        const auto q = t.find('?');
        r.path_ = t.substr(0, q);
        r.query_ = q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
        r.headers_.clear();
        for (const field_view& f : h.fields) {
            r.headers_.add(std::string(f.name), std::string(f.value));
        }
        r.body_.clear();
        r.params_.clear();
        r.version_minor_ = h.version_minor;
        r.keep_alive_ = h.keep_alive;
        if (r.remote_ != remote) {
            r.remote_ = remote;
        }
    }
    static std::string& body(request& r) noexcept { return r.body_; }
    static std::vector<std::pair<std::string, std::string>>& params(request& r) noexcept {
        return r.params_;
    }
    static std::string_view path(const request& r) noexcept { return r.path_; }
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

// The Date header's value, formatted at most once a second per loop thread.
std::string_view http_date() {
    struct cache {
        std::int64_t second = -1;
        char text[32] = {};
    };
    thread_local cache c;
    const auto now = std::chrono::system_clock::now();
    const std::int64_t s =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (s != c.second) {
        c.second = s;
        const std::time_t t = static_cast<std::time_t>(s);
        std::tm tm{};
        gmtime_r(&t, &tm);
        static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        std::snprintf(c.text, sizeof c.text, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                      days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
                      tm.tm_hour, tm.tm_min, tm.tm_sec);
    }
    return {c.text, 29};
}

void append_number(std::string& out, std::uint64_t n) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    out.append(buf, end);
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
    void sub() noexcept { v.fetch_sub(1, std::memory_order_relaxed); }
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
constexpr std::size_t pipeline_flush = 64 * 1024;    // pending output flushed beyond this
constexpr auto linger_time = 1s;
constexpr std::size_t linger_bytes = 1024 * 1024;

} // namespace

struct server::impl : std::enable_shared_from_this<server::impl> {
    explicit impl(server_options o) : opts(std::move(o)) {
        limits.max_request_line = opts.max_request_line;
        limits.max_header_bytes = opts.max_header_bytes;
        limits.max_headers = opts.max_headers;
        limits.max_body_size = opts.max_body_size;
    }

    server_options opts;
    detail::parser_limits limits;
    detail::router routes;
    std::optional<net::server> tcp;
    std::atomic<bool> listening{false};
    std::atomic<bool> closing{false};
    promise<void> closed_promise;
    future<void> closed_future = closed_promise.get_future();

    std::mutex refs_mtx;
    std::unordered_set<std::shared_ptr<connection_ref>> refs;

    counter connections_open, connections_total, requests, bad_requests, too_large, not_implemented,
        timeouts, not_found, method_not_allowed, handler_errors, io_errors;

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
            remote_ = conn_.peer_endpoint().to_string();
        } catch (const std::exception&) {
            remote_ = "?";
        }
        ref_ = std::make_shared<connection_ref>();
        ref_->home = weft::detail::current_loop_ptr();
        ref_->conn = &conn_;
        std::lock_guard lock(srv_.refs_mtx);
        srv_.refs.insert(ref_);
    }
    session(const session&) = delete;
    session& operator=(const session&) = delete;
    ~session() {
        if (watchdog_.armed()) {
            weft::detail::remove_timer(*ref_->home, &watchdog_);
        }
        ref_->alive = false;
        std::lock_guard lock(srv_.refs_mtx);
        srv_.refs.erase(ref_);
    }

    task<void> run();

private:
    [[nodiscard]] std::string_view buffered() const noexcept {
        return {buf_.get() + begin_, end_ - begin_};
    }
    std::span<char> read_space();
    void arm_watchdog(std::chrono::milliseconds timeout);
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
    std::string out_; // response bytes not written yet
    std::string remote_;
    std::shared_ptr<connection_ref> ref_;
    std::size_t served_ = 0;
    bool head_request_ = false;

    // Read timeouts without a timer per read: one heap entry per connection, re-armed lazily
    // when it fires early, and a read that times out is ended by shutting the socket's read
    // side (the read returns 0; writing a 408 still works).
    struct watchdog : weft::detail::timer_node {
        session* owner = nullptr;
    } watchdog_;
    clock::time_point read_due_{};
    bool reading_ = false;
    bool timed_out_ = false;
};

void session::on_watchdog(weft::detail::timer_node* n) noexcept {
    session& s = *static_cast<watchdog*>(n)->owner;
    if (!s.reading_) {
        return; // the next read arms it again
    }
    weft::loop& home = *s.ref_->home;
    if (weft::detail::loop_time(home) < s.read_due_) {
        n->deadline = s.read_due_;
        weft::detail::add_timer(home, n);
        return;
    }
    s.timed_out_ = true;
    ::shutdown(s.conn_.native_handle(), SHUT_RD);
}

void session::arm_watchdog(std::chrono::milliseconds timeout) {
    weft::loop& home = *ref_->home;
    read_due_ = weft::detail::loop_time(home) + timeout;
    if (!watchdog_.armed()) {
        watchdog_.owner = this;
        watchdog_.fire = &on_watchdog;
        watchdog_.deadline = read_due_;
        weft::detail::add_timer(home, &watchdog_);
    } else if (watchdog_.deadline > read_due_) {
        weft::detail::remove_timer(home, &watchdog_);
        watchdog_.deadline = read_due_;
        weft::detail::add_timer(home, &watchdog_);
    }
    reading_ = true;
}

task<std::size_t> session::timed_read(std::span<char> into, std::chrono::milliseconds timeout) {
    arm_watchdog(timeout);
    std::size_t n = 0;
    try {
        n = co_await conn_.read_some(into);
    } catch (...) {
        reading_ = false;
        throw;
    }
    reading_ = false;
    if (timed_out_) {
        throw weft::timeout_error("read timed out");
    }
    co_return n;
}

// Makes room at the end of the read buffer and returns it.
std::span<char> session::read_space() {
    if (begin_ == end_) {
        begin_ = end_ = 0;
    }
    if (end_ == cap_) {
        if (begin_ > 0) {
            std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        } else {
            // Bounded: the parser fails a head larger than max_header_bytes, so the buffer never
            // grows much past it.
            auto bigger = std::make_unique<char[]>(cap_ * 2);
            std::memcpy(bigger.get(), buf_.get(), end_);
            buf_ = std::move(bigger);
            cap_ *= 2;
        }
    }
    return {buf_.get() + end_, cap_ - end_};
}

task<void> session::flush() {
    if (!out_.empty()) {
        co_await conn_.write_all(std::span<const char>(out_.data(), out_.size()));
        out_.clear();
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
    srv_.requests.add();
    if (http_log().should_log(spdlog::level::debug)) {
        http_log().debug("{}: {} {} ({})", remote_, status, detail::reason_phrase(status), reason);
    }
    server_response resp(status, std::string(detail::reason_phrase(status)) + "\n");
    head_request_ = false;
    start_head(resp, false, false, resp.body().size());
    out_ += resp.body();
    access_log(status, resp.body().size());
    co_await flush();
    co_await linger_close();
}

void session::start_head(const server_response& resp, bool keep_alive, bool chunked,
                         std::optional<std::uint64_t> content_length) {
    using namespace std::string_view_literals;
    const int status = resp.status();
    out_.append("HTTP/1.1 "sv);
    append_number(out_, static_cast<std::uint64_t>(status));
    out_.push_back(' ');
    out_.append(detail::reason_phrase(status));
    out_.append("\r\n"sv);
    bool has_date = false;
    bool has_server = false;
    for (const header_field& f : resp.headers()) {
        if (iequals(f.name, "content-length") || iequals(f.name, "transfer-encoding") ||
            iequals(f.name, "connection")) {
            continue;
        }
        has_date = has_date || iequals(f.name, "date");
        has_server = has_server || iequals(f.name, "server");
        out_.append(f.name);
        out_.append(": "sv);
        out_.append(f.value);
        out_.append("\r\n"sv);
    }
    if (!has_server && !srv_.opts.server_name.empty()) {
        out_.append("Server: "sv);
        out_.append(srv_.opts.server_name);
        out_.append("\r\n"sv);
    }
    if (!has_date) {
        out_.append("Date: "sv);
        out_.append(http_date());
        out_.append("\r\n"sv);
    }
    if (chunked) {
        out_.append("Transfer-Encoding: chunked\r\n"sv);
    } else if (content_length) {
        out_.append("Content-Length: "sv);
        append_number(out_, *content_length);
        out_.append("\r\n"sv);
    }
    if (!keep_alive) {
        out_.append("Connection: close\r\n"sv);
    } else if (req_.version_minor() == 0) {
        out_.append("Connection: keep-alive\r\n"sv);
    }
    out_.append("\r\n"sv);
}

void session::access_log(int status, std::uint64_t bytes) const {
    spdlog::logger& log = http_log();
    if (log.should_log(spdlog::level::info)) {
        log.info("{} \"{} {} HTTP/1.{}\" {} {}", remote_, req_.method(), req_.target(),
                 req_.version_minor(), status, bytes);
    }
}

task<bool> session::read_body() {
    std::string& body = detail::request_access::body(req_);
    if (head_.framing == body_framing::content_length) {
        const auto length = static_cast<std::size_t>(head_.content_length);
        const std::size_t take = std::min(length, end_ - begin_);
        if (take < length && head_.expect_continue) {
            out_ += "HTTP/1.1 100 Continue\r\n\r\n";
        }
        co_await flush();
        // The rest is read straight into the body, past the connection's buffer.
        body.resize(length);
        std::memcpy(body.data(), buf_.get() + begin_, take);
        begin_ += take;
        std::size_t have = take;
        while (have < length) {
            std::size_t n = 0;
            try {
                n = co_await timed_read(std::span<char>(body.data() + have, length - have),
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
        }
        co_return true;
    }
    if (head_.framing == body_framing::chunked) {
        chunks_.reset();
        if (begin_ == end_ && head_.expect_continue) {
            out_ += "HTTP/1.1 100 Continue\r\n\r\n";
        }
        co_await flush();
        for (;;) {
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
        }
    }
    co_return true;
}

// The handler for the request, or null with the router's own answer (404, 405) in answer.
const handler* session::find_route(std::optional<server_response>& answer) {
    auto& params = detail::request_access::params(req_);
    detail::router::match m =
        srv_.routes.find(req_.method(), detail::request_access::path(req_), params);
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

// Body writer of a streamed response: chunked for HTTP/1.1, raw (ended by closing) for 1.0.
class stream_writer final : public body_writer {
public:
    stream_writer(net::connection& c, bool chunked) : conn_(c), chunked_(chunked) {}

    task<void> write(std::string_view data) override {
        if (data.empty()) {
            co_return;
        }
        if (chunked_) {
            char size[24];
            auto [end, ec] = std::to_chars(size, size + sizeof size - 2, data.size(), 16);
            *end++ = '\r';
            *end++ = '\n';
            static constexpr char crlf[] = "\r\n";
            const std::array<std::span<const char>, 3> parts{
                std::span<const char>(size, static_cast<std::size_t>(end - size)),
                std::span<const char>(data.data(), data.size()), std::span<const char>(crlf, 2)};
            co_await conn_.write_all(std::span<const std::span<const char>>(parts));
        } else {
            co_await conn_.write_all(std::span<const char>(data.data(), data.size()));
        }
        written_ += data.size();
    }

private:
    net::connection& conn_;
    bool chunked_;
};

// Decides whether the connection stays open after resp, and for an in-memory body appends the
// whole response to out_ (a large body is left for a gathered write: see run()).
bool session::prepare(server_response& resp) {
    if (resp.status() < 100 || resp.status() > 999) {
        resp.set_status(500);
    }
    bool keep = req_.keep_alive() && !srv_.closing.load(std::memory_order_relaxed) &&
                (srv_.opts.max_requests_per_connection == 0 ||
                 served_ < srv_.opts.max_requests_per_connection);
    if (keep) {
        if (auto c = resp.headers().get("connection"); c && has_token(*c, "close")) {
            keep = false;
        }
    }
    srv_.requests.add();
    if (resp.is_streamed()) {
        return keep;
    }
    const int status = resp.status();
    const bool no_body = !carries_body(status);
    start_head(resp, keep, false,
               no_body ? std::nullopt : std::optional<std::uint64_t>(resp.body().size()));
    const bool send_body = !head_request_ && !no_body;
    if (send_body && resp.body().size() <= inline_body_limit) {
        out_.append(resp.body());
    }
    access_log(status, send_body ? resp.body().size() : 0);
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
        stream_writer w(conn_, chunked);
        bool failed = false;
        try {
            task<void> t = resp.producer()(w);
            co_await std::move(t);
        } catch (const weft::cancelled_error&) {
            throw;
        } catch (const std::exception& e) {
            failed = true;
            http_log().error("body producer for {} {} threw: {}", req_.method(), req_.target(),
                             e.what());
        }
        if (failed) {
            // Too late for a 500: end the connection without the last chunk, so the client
            // sees an incomplete body.
            srv_.handler_errors.add();
            access_log(status, w.bytes_written());
            conn_.abort();
            co_return false;
        }
        bytes = w.bytes_written();
        if (chunked) {
            out_ += "0\r\n\r\n";
        }
    }
    access_log(status, bytes);
    co_return keep;
}

task<void> session::run() {
    std::optional<server_response> resp;
    for (;;) {
        // ---- the request head
        parser_.reset();
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
                co_await conn_.write_all(std::span<const char>(out_.data(), out_.size()));
                out_.clear();
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
            arm_watchdog(idle ? srv_.opts.idle_timeout : srv_.opts.header_timeout);
            const std::size_t n = co_await conn_.read_some(space);
            reading_ = false;
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
        detail::request_access::fill(req_, head_, remote_);
        head_request_ = req_.method() == "HEAD";
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
        } else if (!head_request_ && carries_body(resp->status()) &&
                   resp->body().size() > inline_body_limit) {
            const std::array<std::span<const char>, 2> parts{
                std::span<const char>(out_.data(), out_.size()),
                std::span<const char>(resp->body().data(), resp->body().size())};
            co_await conn_.write_all(std::span<const std::span<const char>>(parts));
            out_.clear();
        } else if (!keep || begin_ == end_ || out_.size() >= pipeline_flush) {
            // Pipelined requests already buffered are answered together, in one write.
            co_await conn_.write_all(std::span<const char>(out_.data(), out_.size()));
            out_.clear();
        }
        if (!keep) {
            co_await flush();
            co_await linger_close();
            co_return;
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
        if (!self->closing.load(std::memory_order_relaxed)) {
            self->io_errors.add();
        }
        http_log().debug("connection ended: {}", e.what());
    } catch (const std::exception& e) {
        self->io_errors.add();
        http_log().error("connection failed: {}", e.what());
    }
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
    o.max_connections = impl_->opts.max_connections;
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
    s.requests = i.requests.get();
    s.bad_requests = i.bad_requests.get();
    s.too_large = i.too_large.get();
    s.not_implemented = i.not_implemented.get();
    s.timeouts = i.timeouts.get();
    s.not_found = i.not_found.get();
    s.method_not_allowed = i.method_not_allowed.get();
    s.handler_errors = i.handler_errors.get();
    s.io_errors = i.io_errors.get();
    return s;
}

} // namespace weft::http
