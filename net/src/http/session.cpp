// A connection's request loop (session.hpp): read a head, then the body, run the handler, write
// the response, and again while the connection stays open.
//
// run() awaits the head's reads, the handler and a gathered response write itself, so that the
// steps of a keep-alive request add no coroutine frame (an allocation each): the steps around
// those awaits are plain functions, and only the paths that end a connection or stream a body
// are coroutines of their own.
//
// How a connection ends: a malformed head, an over-limit one or a body timeout is answered with
// its status and `Connection: close` (fail()); a response that does not keep the connection, an
// idle timeout or the server's close end it with a lingering close (linger_close()), so the
// client does not lose the last response to a reset; a client that closes first ends it at once.

#include "session.hpp"

#include "../metrics/route_durations.hpp"

#include <weft/net/error.hpp>
#include <weft/runtime/detail/loop_ops.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/wait_for.hpp>

#include <spdlog/logger.h>

#include <array>
#include <atomic>
#include <exception>
#include <mutex>
#include <utility>

namespace weft::http::detail {

session::session(server::impl& srv, net::connection& conn)
    : srv_(srv), conn_(conn), parser_(srv.limits), chunks_(srv.limits),
      buf_(std::make_unique<char[]>(initial_buffer)), cap_(initial_buffer) {
    try {
        request_access::set_remote(req_, conn_.peer_endpoint().to_string());
    } catch (const std::exception&) {
        request_access::set_remote(req_, "?");
    }
    ref_ = std::make_shared<connection_ref>();
    ref_->home = weft::detail::current_loop_ptr();
    ref_->conn = &conn_;
    requests_ = &srv_.connections.enter(ref_);
}

session::~session() {
    if (watchdog_.armed()) {
        weft::detail::remove_timer(*ref_->home, &watchdog_);
    }
    srv_.buffered.sub(charged_);
    ref_->alive = false;
    srv_.connections.leave(ref_);
}

task<void> session::run() {
    std::optional<server_response> resp;
    for (;;) {
        // ---- the request head, its reads awaited right here (no coroutine frame per read);
        // header_timeout bounds the whole head from its first byte, not each read.
        start_request();
        clock::time_point head_due{};
        head_end end = parse_head();
        while (end == head_end::more) {
            if (!out_.empty()) { // answers to pipelined requests, in one write
                co_await write_out();
            }
            const bool idle = begin_ == end_;
            if (idle && srv_.closing.load(std::memory_order_relaxed)) {
                end = head_end::closing;
                break;
            }
            auto op = conn_.read_some(head_read_space(idle, head_due));
            const std::size_t n = co_await noted(*this, op);
            end = head_read(idle, n);
        }
        if (end != head_end::complete) {
            co_await end_before_request(end);
            co_return;
        }
        accept_head();

        // ---- the body
        if (head_.framing != body_framing::none && !co_await read_body()) {
            co_return;
        }

        // ---- the handler; with middleware or error pages, the chain's first step instead,
        // awaited at the same point (one await of a task<server_response> here keeps its code
        // inline); a step's exception gets the error page (a frame only then)
        resp.reset();
        const handler* h = nullptr;
        if (srv_.pipeline.layered || (h = find_route(resp)) != nullptr) {
            std::string error;
            try {
                task<server_response> t = h != nullptr ? (*h)(req_) : step(req_, 0);
                resp.emplace(co_await std::move(t));
            } catch (const weft::cancelled_error&) {
                throw;
            } catch (const std::exception& e) {
                error = e.what();
                note_failure(h);
            } catch (...) {
                error = "unknown exception";
                note_failure(h);
            }
            if (!resp && h == nullptr) {
                co_await answer_failure(resp);
            } else if (!resp) {
                handler_failed(resp, error);
            }
        }

        // ---- the response
        bool keep = prepare(*resp);
        if (resp->is_streamed()) {
            keep = co_await send_streamed(*resp, keep);
        } else if (resp->is_file()) {
            keep = co_await send_file_body(*resp, keep);
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

// Forgets the previous request, for the next head.
void session::start_request() noexcept {
    request_access::reset(req_);
    release_body();
    pinned_ = false;
    started_ = {};
    parser_.reset();
}

// Parses what the buffer holds of the head: complete, malformed, or more to read.
session::head_end session::parse_head() {
    const parse_status st = parser_.parse(buffered(), head_);
    return st == parse_status::complete ? head_end::complete
           : st == parse_status::error  ? head_end::malformed
                                        : head_end::more;
}

// Room for the head's next read, with the watchdog armed for it: idle_timeout while no byte of a
// request has come (idle), else the head's deadline, set at its first read (a client that drips
// the head a byte at a time still gets 408: slowloris).
std::span<char> session::head_read_space(bool idle, clock::time_point& head_due) {
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
    return space;
}

// A read of the head returned n bytes (the watchdog may have ended it): parses what the buffer
// then holds.
session::head_end session::head_read(bool idle, std::size_t n) {
    waiting_ = wait_kind::none;
    ref_->idle = false;
    if (timed_out_) {
        return idle ? head_end::idle_timeout : head_end::head_timeout;
    }
    if (n == 0) {
        return head_end::client_closed;
    }
    end_ += n;
    return parse_head();
}

// Ends the connection before a request was read whole.
task<void> session::end_before_request(head_end why) {
    switch (why) {
    case head_end::malformed:
        co_await flush();
        co_await fail(parser_.error().status, parser_.error().reason);
        break;
    case head_end::idle_timeout:
        srv_.timeouts.add();
        co_await linger_close();
        break;
    case head_end::closing:
        co_await linger_close();
        break;
    case head_end::head_timeout:
        co_await fail(408, "request head timeout");
        break;
    default: // the client closed: nothing to answer
        break;
    }
}

// The head is complete: the request points into it, and it stays pinned in the buffer while the
// handler may look at it.
void session::accept_head() {
    ++served_;
    request_access::fill(req_, head_);
    head_request_ = req_.method() == "HEAD";
    head_at_ = begin_;
    head_size_ = head_.consumed;
    pinned_ = true;
    begin_ += head_.consumed;
    started_ = srv_.durations || http_log().should_log(spdlog::level::info)
                   ? std::chrono::steady_clock::now()
                   : std::chrono::steady_clock::time_point{};
}

// The handler for the request, or null with the router's own answer (404, 405) in answer.
const handler* session::find_route(std::optional<server_response>& answer) {
    auto& params = request_access::params(req_);
    router::match m = srv_.routes.find(req_.method(), req_.path(), params);
    if (m.found != nullptr) {
        request_access::set_route(req_, m.pattern);
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

// The handler threw: 500.
void session::handler_failed(std::optional<server_response>& answer, const std::string& error) {
    srv_.handler_errors.add();
    http_log().error("handler for {} {} threw: {}", req_.method(), req_.target(), error);
    answer.emplace(500, "Internal Server Error\n");
}

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
    const http::headers& fields = response_access::fields(resp);
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
    if (const file_body* f = response_access::file(resp)) { // sent by send_file_body()
        start_head(resp, keep, false, no_body ? std::nullopt : std::optional(f->length));
        responded(status, head_request_ || no_body ? 0 : f->length);
        return keep;
    }
    const std::string_view body = response_access::body(resp);
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
    responded(status, send_body ? body.size() : 0);
    return keep;
}

// Sends a streamed response: the head, then the producer's parts, then (unless a pipelined
// request waits and the connection stays) what is left in out_; false when the connection must
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
            responded(status, w.bytes_written());
            conn_.abort();
            co_return false; // out_ is empty: the head went out before the body
        }
        bytes = w.bytes_written();
        if (chunked) {
            out_.append("0\r\n\r\n");
        }
    }
    responded(status, bytes);
    if (!keep || begin_ == end_) {
        co_await flush();
    }
    co_return keep;
}

void session::start_head(const server_response& resp, bool keep_alive, bool chunked,
                         std::optional<std::uint64_t> content_length) {
    head_spec spec;
    spec.keep_alive = keep_alive;
    spec.chunked = chunked;
    spec.content_length = content_length;
    spec.version_minor = req_.version_minor();
    spec.server_line = srv_.server_line;
    put_head(out_, resp, spec, date_);
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
        http_log().debug("{}: {} {} ({})", req_.remote_address(), status, reason_phrase(status),
                         reason);
    }
    server_response resp(status, std::string(reason_phrase(status)) + "\n");
    head_request_ = false;
    start_head(resp, false, false, resp.body().size());
    out_.append(resp.body());
    responded(status, resp.body().size());
    co_await flush();
    co_await linger_close();
}

// A response is out (or formatted, for an in-memory body): its duration goes to
// route_metrics()'s histogram and its line to the access log, each when enabled.
void session::responded(int status, std::uint64_t bytes) const {
    const bool timed = started_ != std::chrono::steady_clock::time_point{};
    const auto took =
        timed ? std::chrono::steady_clock::now() - started_ : std::chrono::steady_clock::duration{};
    if (srv_.durations && timed) {
        srv_.durations->record(weft::detail::current_loop_ptr()->id(), req_.route(), req_.method(),
                               status, std::chrono::duration<double>(took).count());
    }
    spdlog::logger& log = http_log();
    if (!log.should_log(spdlog::level::info)) {
        return;
    }
    access_entry e;
    e.remote = req_.remote_address();
    e.method = req_.method();
    e.target = req_.target();
    e.route = req_.route();
    e.user_agent = req_.header("user-agent").value_or(std::string_view{});
    e.version_minor = req_.version_minor();
    e.status = status;
    e.bytes = bytes;
    e.duration = took;
    write_access_line(log, srv_.opts.access_log, e);
}

} // namespace weft::http::detail
