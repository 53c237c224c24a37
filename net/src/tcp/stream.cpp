// weft::net::stream_reader and stream_writer, asyncio's streams (stream.hpp), over one connection:
// a read buffer with read, read_exactly, read_until and readline; a write buffer whose socket
// writes run as a task of their own, so that cancelling drain() loses no byte; closing, flushing
// first; and open_connection / open_unix_connection.
#include "connection_impl.hpp"

#include <weft/net/stream.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/event.hpp>
#include <weft/runtime/future.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>
#include <string_view>

namespace weft::net {

namespace detail {

struct stream_state {
    explicit stream_state(connection c) : conn(std::move(c)) {
        flush_idle.set();
        write_idle.set();
    }

    connection conn;
    // Read side: rdata[rpos, rend) is buffered and unread (a plain buffer: growing it does not
    // zero-fill what the next read overwrites anyway).
    std::unique_ptr<char[]> rdata;
    std::size_t rcap = 0;
    std::size_t rpos = 0;
    std::size_t rend = 0;
    bool eof = false;
    // Write side.
    std::string wbuf;
    // The socket write in progress runs as a task of its own, so that cancelling drain() (as
    // wait_for does) stops the waiting, not the write: no byte is lost or sent out of order.
    std::string out;        ///< the bytes of that write, handed to write_all; empty when none runs
    weft::event write_idle; ///< set when no write runs
    future<void> writer;
    std::size_t high_water = 64 * 1024;
    std::exception_ptr write_error;
    bool flushing = false;
    weft::event flush_idle; ///< set when no drain() is sending
    bool eof_pending = false;
    bool closing = false;
    future<void> closer;

    [[nodiscard]] std::size_t available() const noexcept { return rend - rpos; }
    /// Whether a socket write task runs (it never starts with nothing to send).
    [[nodiscard]] bool writing() const noexcept { return !out.empty(); }
    [[nodiscard]] std::string_view unread() const noexcept {
        return {rdata.get() + rpos, available()};
    }

    std::string take(std::size_t n) {
        n = std::min(n, available());
        std::string out(rdata.get() + rpos, n);
        rpos += n;
        if (rpos == rend) {
            rpos = rend = 0;
        }
        return out;
    }

    /// Reads once from the socket into the buffer; false at EOF.
    task<bool> fill() {
        if (eof) {
            co_return false;
        }
        constexpr std::size_t chunk = 16 * 1024;
        if (rcap - rend < chunk) {
            const std::size_t live = available();
            if (rpos > 0 && rcap - live >= chunk) {
                std::memmove(rdata.get(), rdata.get() + rpos, live); // compact
            } else {
                const std::size_t cap = std::max(rcap * 2, live + chunk);
                auto bigger = std::make_unique_for_overwrite<char[]>(cap);
                if (live > 0) {
                    std::memcpy(bigger.get(), rdata.get() + rpos, live);
                }
                rdata = std::move(bigger);
                rcap = cap;
            }
            rpos = 0;
            rend = live;
        }
        const std::size_t n =
            co_await conn.read_some(std::span<char>(rdata.get() + rend, rcap - rend));
        rend += n;
        if (n == 0) {
            eof = true;
            co_return false;
        }
        co_return true;
    }

    /// Sends what the socket takes now, without waiting; keeps the rest.
    void send_now() {
        if (wbuf.empty() || write_error || writing() || !conn.is_open()) {
            return;
        }
        if (conn.impl()->tls != nullptr) {
            return; // TLS records go through the write task (connection::write_all)
        }
        std::size_t sent = 0;
        while (sent < wbuf.size()) {
            const ssize_t n = ::send(conn.native_handle(), wbuf.data() + sent, wbuf.size() - sent,
                                     MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n >= 0) {
                sent += static_cast<std::size_t>(n);
                continue;
            }
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                try {
                    throw_errno(errno, "write", conn.peer_endpoint());
                } catch (...) {
                    write_error = std::current_exception();
                }
            }
            break;
        }
        wbuf.erase(0, sent);
    }

    /// Sends everything buffered (self is this state, kept alive by the write task).
    task<void> flush(const std::shared_ptr<stream_state>& self) {
        for (;;) {
            while (writing()) {
                co_await write_idle.wait(); // cancellable; the write goes on
            }
            if (write_error) {
                std::rethrow_exception(write_error);
            }
            send_now(); // what the socket takes at once, without a task
            if (wbuf.empty() || write_error) {
                break;
            }
            out = std::move(wbuf);
            wbuf.clear();
            write_idle.clear();
            writer = weft::create_task(write_out(self));
        }
        if (write_error) {
            std::rethrow_exception(write_error);
        }
        if (eof_pending) {
            eof_pending = false;
            conn.shutdown_write();
        }
    }

    /// The task of one socket write: out, whole.
    static task<void> write_out(std::shared_ptr<stream_state> s) {
        try {
            co_await s->conn.write_all(std::span<const char>(s->out.data(), s->out.size()));
        } catch (const cancelled_error&) { // the loop is shutting down
            s->write_error = std::make_exception_ptr(
                error("write to " + s->conn.peer_endpoint().to_string() + " was cancelled"));
        } catch (...) {
            s->write_error = std::current_exception();
        }
        s->out.clear();
        s->write_idle.set();
        if (s->eof_pending && !s->flushing && s->wbuf.empty() && !s->write_error) {
            s->eof_pending = false; // write_eof() came while this write ran
            s->conn.shutdown_write();
        }
    }
};

namespace {

task<void> flush_and_close(std::shared_ptr<stream_state> s) {
    try {
        while (s->flushing) { // a drain() is sending: let it finish first
            co_await s->flush_idle.wait();
        }
        co_await s->flush(s);
    } catch (const cancelled_error&) {
        s->conn.close();
        throw;
    } catch (...) {
    }
    s->conn.close();
}

void require(const std::shared_ptr<stream_state>& s) {
    if (s == nullptr) {
        throw invalid_state_error("weft::net stream used without a connection");
    }
}

} // namespace

} // namespace detail

// ---- reader -------------------------------------------------------------------------------------

task<std::string> stream_reader::read(std::size_t n) {
    detail::require(s_);
    auto s = s_;
    if (n == 0) {
        co_return std::string();
    }
    if (n == npos) {
        for (;;) {
            const bool more = co_await s->fill();
            if (!more) {
                break;
            }
        }
        co_return s->take(s->available());
    }
    if (s->available() == 0) {
        const bool more = co_await s->fill();
        (void)more;
    }
    co_return s->take(n);
}

task<std::string> stream_reader::read_exactly(std::size_t n) {
    detail::require(s_);
    auto s = s_;
    while (s->available() < n) {
        const bool more = co_await s->fill();
        if (!more) {
            const std::size_t got = s->available();
            std::string partial = s->take(got);
            throw incomplete_read("stream from " + s->conn.peer_endpoint().to_string() +
                                      " ended after " + std::to_string(got) + " of " +
                                      std::to_string(n) + " bytes",
                                  std::move(partial), n);
        }
    }
    co_return s->take(n);
}

task<std::string> stream_reader::read_until(std::string_view delim, std::size_t limit) {
    detail::require(s_);
    if (delim.empty()) {
        throw invalid_state_error("read_until: the delimiter is empty");
    }
    auto s = s_;
    const std::string d(delim); // the caller's view may not outlive the first suspension
    std::size_t searched = 0;   // offset (from rpos) already known not to start a delimiter
    for (;;) {
        const std::string_view buf = s->unread();
        const std::size_t at = buf.find(d, searched);
        if (at != std::string_view::npos) {
            const std::size_t end = at + d.size();
            if (end > limit) {
                throw limit_overrun("read_until: no delimiter within " + std::to_string(limit) +
                                        " bytes from " + s->conn.peer_endpoint().to_string(),
                                    end);
            }
            co_return s->take(end);
        }
        if (buf.size() > limit) {
            throw limit_overrun("read_until: no delimiter within " + std::to_string(limit) +
                                    " bytes from " + s->conn.peer_endpoint().to_string(),
                                buf.size());
        }
        searched = buf.size() >= d.size() ? buf.size() - d.size() + 1 : 0;
        const bool more = co_await s->fill();
        if (!more) {
            const std::size_t got = s->available();
            std::string partial = s->take(got);
            throw incomplete_read("stream from " + s->conn.peer_endpoint().to_string() +
                                      " ended after " + std::to_string(got) +
                                      " bytes without the delimiter",
                                  std::move(partial), npos);
        }
    }
}

task<std::string> stream_reader::readline(std::size_t limit) {
    try {
        co_return co_await read_until("\n", limit);
    } catch (const incomplete_read& e) {
        co_return e.partial();
    }
}

bool stream_reader::at_eof() const noexcept {
    return s_ == nullptr || (s_->eof && s_->available() == 0);
}

std::size_t stream_reader::buffered() const noexcept {
    return s_ != nullptr ? s_->available() : 0;
}

// ---- writer -------------------------------------------------------------------------------------

void stream_writer::write(std::string_view data) {
    detail::require(s_);
    if (s_->closing) {
        throw invalid_state_error("weft::net::stream_writer::write after close()");
    }
    if (data.empty()) {
        return;
    }
    const bool was_empty = s_->wbuf.empty();
    s_->wbuf.append(data);
    if (was_empty && !s_->flushing) { // (send_now leaves it to a write in progress)
        s_->send_now();
    }
}

task<void> stream_writer::drain() {
    detail::require(s_);
    auto s = s_;
    if (s->flushing) {
        throw invalid_state_error("weft::net::stream_writer::drain: another drain() is running");
    }
    s->flushing = true;
    s->flush_idle.clear();
    struct reset {
        detail::stream_state* s;
        ~reset() {
            s->flushing = false;
            s->flush_idle.set();
        }
    } guard{s.get()};
    co_await s->flush(s);
}

std::size_t stream_writer::buffered() const noexcept {
    return s_ != nullptr ? s_->wbuf.size() + s_->out.size() : 0;
}

bool stream_writer::above_high_water() const noexcept {
    return s_ != nullptr && s_->wbuf.size() + s_->out.size() > s_->high_water;
}

void stream_writer::set_high_water(std::size_t bytes) noexcept {
    if (s_ != nullptr) {
        s_->high_water = bytes;
    }
}

void stream_writer::write_eof() {
    detail::require(s_);
    if (s_->wbuf.empty() && !s_->flushing && !s_->writing()) {
        s_->conn.shutdown_write();
    } else {
        s_->eof_pending = true;
    }
}

void stream_writer::close() {
    if (s_ == nullptr || s_->closing) {
        return;
    }
    s_->closing = true;
    if (s_->wbuf.empty() && !s_->flushing && !s_->writing()) {
        s_->conn.close();
        return;
    }
    s_->closer = weft::create_task(detail::flush_and_close(s_));
}

bool stream_writer::is_closing() const noexcept {
    return s_ != nullptr && s_->closing;
}

task<void> stream_writer::wait_closed() {
    detail::require(s_);
    auto s = s_;
    if (s->closer.valid()) {
        try {
            co_await s->closer;
        } catch (const cancelled_error&) {
            if (!s->closer.done()) {
                throw;
            }
        }
    }
}

endpoint stream_writer::peer_endpoint() const {
    return s_ != nullptr ? s_->conn.peer_endpoint() : endpoint{};
}

endpoint stream_writer::local_endpoint() const {
    return s_ != nullptr ? s_->conn.local_endpoint() : endpoint{};
}

// ---- constructors
// ---------------------------------------------------------------------------------

std::pair<stream_reader, stream_writer> make_streams(connection c) {
    auto s = std::make_shared<detail::stream_state>(std::move(c));
    return {stream_reader(s), stream_writer(s)};
}

task<std::pair<stream_reader, stream_writer>> open_connection(std::string host, std::uint16_t port,
                                                              connect_options opts) {
    connection c = co_await connection::connect(std::move(host), port, std::move(opts));
    co_return make_streams(std::move(c));
}

task<std::pair<stream_reader, stream_writer>> open_connection(std::string host,
                                                              std::uint16_t port) {
    return open_connection(std::move(host), port, connect_options{});
}

task<std::pair<stream_reader, stream_writer>> open_unix_connection(std::string path) {
    connection c = co_await connection::connect_unix(std::move(path));
    co_return make_streams(std::move(c));
}

} // namespace weft::net
