// A session's read buffer and request body (session.hpp).
//
// The read buffer holds the bytes read from the connection that no request has consumed yet,
// [begin_, end_). While a handler may look at the request, its head stays pinned in the buffer
// (the request's views point into it): making room for a read moves it, with the views, but
// never overwrites it.
//
// A body is read before the handler runs, into a buffer of its own that grows with the bytes
// that arrive, never with what Content-Length announces, and whose capacity is charged to the
// server's body budget (max_buffered_bytes) before it is taken: a client that sends little
// cannot make weft hold much. A chunked body is decoded from the read buffer as it arrives.
// Every body read is bounded by body_timeout, and the task yields to its loop after every
// fair_bytes read without waiting.

#include "session.hpp"

#include <weft/runtime/error.hpp>
#include <weft/runtime/sleep.hpp>

#include <algorithm>
#include <cstring>

namespace weft::http::detail {

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
                request_access::rebase(req_, base + head_at_, keep, base);
            }
            std::memmove(base + keep, base + begin_, unread);
        } else {
            // Bounded: the parser fails a head larger than max_header_bytes, so the buffer never
            // grows much past it.
            const std::size_t cap = std::max(cap_ * 2, keep + unread + want);
            auto bigger = std::make_unique<char[]>(cap);
            if (pinned_) {
                std::memcpy(bigger.get(), base + head_at_, keep);
                request_access::rebase(req_, base + head_at_, keep, bigger.get());
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

// The request's body (its framing is not none); false when the connection must end (answered,
// or the client gave up).
task<bool> session::read_body() {
    return head_.framing == body_framing::chunked ? read_chunked_body() : read_sized_body();
}

task<bool> session::read_sized_body() {
    std::string& body = request_access::body(req_);
    const auto length = static_cast<std::size_t>(head_.content_length);
    const std::size_t take = std::min(length, end_ - begin_);
    // The body is read straight into its own buffer, past the connection's; that buffer grows
    // with the bytes that arrive, not with what Content-Length announces. Its first part is taken
    // from the budget before a client that waits is told to send.
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

task<bool> session::read_chunked_body() {
    std::string& body = request_access::body(req_);
    chunks_.reset();
    if (begin_ == end_ && head_.expect_continue) {
        out_.append("HTTP/1.1 100 Continue\r\n\r\n");
    }
    co_await flush();
    for (;;) {
        // Decoded bytes never outnumber the encoded ones: room for all that is buffered keeps
        // the decoder from growing the body past what the budget charged.
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
    std::string& body = request_access::body(req_);
    if (charged_ > body_keep || body.capacity() < charged_) {
        std::string().swap(body);
        srv_.buffered.sub(charged_);
        charged_ = 0;
    }
}

} // namespace weft::http::detail
