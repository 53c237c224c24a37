// weft::net::connection (connection.hpp) over its socket (connection_impl.hpp): reads and writes
// that try the system call first and otherwise wait on Asio's reactor, resuming the task inside
// the completion handler; cancellation of a pending operation; connecting by name or to a Unix
// socket; and the helpers the other TCP sources share (making a connection, errno errors).
#include "connection_impl.hpp"

#include "../tls/stream.hpp"

#include <weft/runtime/internal/loop_io.hpp>

#include <weft/net/connection.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/loop.hpp>

#include <asio/error.hpp>
#include <asio/ip/tcp.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

namespace weft::net {

namespace detail {

// ---- helpers ------------------------------------------------------------------------------------

connection_impl::connection_impl(asio::io_context& io, int fd_, int family_, const sockaddr* p,
                                 socklen_t plen)
    : sock(io), fd(fd_), family(family_), home(weft::detail::current_loop_ptr()) {
    asio::error_code ec;
    sock.assign(asio::generic::stream_protocol(family_, family_ == AF_UNIX ? 0 : IPPROTO_TCP), fd_,
                ec);
    if (ec) {
        ::close(fd_);
        throw error("cannot register a socket with the loop: " + ec.message(), ec);
    }
    // The descriptor is already O_NONBLOCK; tell Asio so that it never flips it.
    sock.non_blocking(true, ec);
    if (p != nullptr && plen > 0 && plen <= static_cast<socklen_t>(sizeof peer)) {
        std::memcpy(&peer, p, plen);
        peer_len = plen;
    }
}

endpoint connection_impl::peer_endpoint() const {
    return to_endpoint(reinterpret_cast<const sockaddr*>(&peer), peer_len);
}

void throw_errno(int err, const std::string& what, const endpoint& peer) {
    const std::error_code code(err, std::system_category());
    const std::string who = peer.kind() == endpoint::family::none ? "" : " " + peer.to_string();
    switch (err) {
    case ECONNRESET:
    case EPIPE:
        throw connection_reset("connection reset by peer" + who + " (" + what + ")", code);
    case ECONNREFUSED:
        throw connection_refused("connection refused by" + who, code);
    case EBADF:
        throw error(what + ": the connection" + who + " is closed", code);
    default:
        throw error(what + " failed on" + who + ": " + code.message(), code);
    }
}

asio::io_context& current_io() {
    return weft::internal::io_of(weft::current_loop());
}

connection make_connection(int fd, int family, const sockaddr* peer, socklen_t peer_len,
                           bool nodelay) {
    if (nodelay && family != AF_UNIX) {
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return connection(std::make_unique<connection_impl>(current_io(), fd, family, peer, peer_len));
}

// ---- the read/write operation -------------------------------------------------------------------

/// err_ of an operation awaited from a loop other than the connection's.
constexpr int wrong_loop = -1;
/// err_ of a read that took its bytes after its cancellation was delivered.
constexpr int redeliver_cancel = -2;

struct io_op_access {
    static void ready(io_op& op, const asio::error_code& ec) noexcept {
        if (op.c_ != nullptr) {
            (op.write_ ? op.c_->writing : op.c_->reading) = nullptr;
        }
        if (!op.cancelled_) {
            if (op.c_ == nullptr) {
                op.err_ = EBADF; // the connection was destroyed under the wait
            } else if (ec == asio::error::operation_aborted) {
                if (op.c_->sock.is_open()) {
                    op.arm(); // another operation's cancellation cancelled this wait too
                    return;
                }
                op.err_ = EBADF;
            } else if (ec) {
                op.err_ = ec.value();
            } else if (!op.try_now()) {
                op.arm(); // spurious readiness
                return;
            }
        }
        // Resumed right here, on the loop thread, inside the completion handler: measured about
        // 20% more echo round trips per second than queueing the resumption on the ready queue
        // (one io_context round trip less). Safe: Asio has released the operation before calling
        // the handler, so the task may close or destroy the socket.
        op.h_.resume();
    }
    // A read's completion: Asio's reactor did the recv when the socket became readable (one
    // system call, no re-arming of the descriptor, unlike a readiness wait).
    static void received(io_op& op, const asio::error_code& ec, std::size_t n) noexcept {
        if (op.c_ != nullptr) {
            op.c_->reading = nullptr;
        }
        if (op.c_ == nullptr) {
            op.err_ = EBADF; // the connection was destroyed under the read
        } else if (!ec || ec == asio::error::eof) {
            op.done_ = ec ? 0 : n;
            op.c_->drained = n < op.rlen_;
            if (op.cancelled_) {
                // The bytes are taken: deliver them, and leave the cancellation pending for the
                // next suspension point.
                op.cancelled_ = false;
                op.err_ = redeliver_cancel;
            }
        } else if (op.cancelled_) {
            // cancelled: await_resume throws
        } else if (ec == asio::error::operation_aborted) {
            if (op.c_->sock.is_open()) {
                op.arm(); // another operation's cancellation cancelled this read too
                return;
            }
            op.err_ = EBADF;
        } else {
            op.err_ = ec.value();
        }
        op.h_.resume();
    }
    static bool& cancelled(io_op& op) noexcept { return op.cancelled_; }
    // A write's progress: moves (index_, offset_) past n bytes. (Here rather than a member of
    // io_op: an exported member of a PIC library is not inlined.)
    static void advance(io_op& op, std::size_t n) noexcept {
        while (op.index_ < op.wcount_) {
            const std::size_t avail = op.wbufs_[op.index_].size() - op.offset_;
            if (n < avail) {
                op.offset_ += n;
                break;
            }
            n -= avail;
            ++op.index_;
            op.offset_ = 0;
        }
    }
    // A TLS read or write step (net/src/tls/stream.hpp): true when the operation finished;
    // false with the readiness to wait for in tls_wait_read_.
    static bool try_tls(io_op& op) {
        connection_impl& c = *op.c_;
        if (!op.write_) {
            const tls_io r = tls_read(c, op.rbuf_, op.rlen_);
            if (r.want != tls_want::none) {
                op.tls_wait_read_ = r.want == tls_want::read;
                return false;
            }
            op.done_ = r.n;
            op.err_ = r.err;
            return true;
        }
        while (op.index_ < op.wcount_) {
            if (op.wbufs_[op.index_].size() <= op.offset_) {
                ++op.index_;
                op.offset_ = 0;
                continue;
            }
            const tls_io r =
                tls_write(c, &op, op.wbufs_ + op.index_, op.wcount_ - op.index_, op.offset_);
            if (r.want != tls_want::none) {
                op.tls_wait_read_ = r.want == tls_want::read;
                return false;
            }
            if (r.err != 0) {
                op.err_ = r.err;
                return true;
            }
            op.done_ += r.n;
            advance(op, r.n);
        }
        return true;
    }
    static void detach(io_op* op) noexcept {
        if (op != nullptr) {
            op->c_ = nullptr;
        }
    }
};

connection_impl::~connection_impl() {
    io_op_access::detach(reading);
    io_op_access::detach(writing);
    destroy_tls(tls);
}

bool io_op::try_now() noexcept {
    if (c_ == nullptr || c_->fd < 0) {
        err_ = EBADF;
        return true;
    }
    if (c_->home != weft::detail::current_loop_ptr()) {
        err_ = wrong_loop;
        return true;
    }
    if (c_->tls != nullptr) [[unlikely]] {
        if (file_fd_ >= 0) {
            err_ = EOPNOTSUPP; // sendfile would bypass the encryption (see can_send_file())
            return true;
        }
        return io_op_access::try_tls(*this);
    }
    if (!write_) {
        if (c_->drained) {
            return false; // the reactor reads when data arrives (see arm())
        }
        const ssize_t n = uninterrupted([this] { return ::recv(c_->fd, rbuf_, rlen_, 0); });
        if (n >= 0) {
            done_ = static_cast<std::size_t>(n);
            c_->drained = done_ < rlen_;
            return true;
        }
        if (would_block(errno)) {
            c_->drained = true;
            return false;
        }
        err_ = errno;
        return true;
    }
    if (file_fd_ >= 0) {
        return try_send_file();
    }
    constexpr int max_iov = 64;
    iovec iov[max_iov];
    while (true) {
        int n = 0;
        std::size_t off = offset_;
        for (std::size_t i = index_; i < wcount_ && n < max_iov; ++i) {
            const std::span<const char> b = wbufs_[i];
            if (b.size() > off) {
                iov[n].iov_base = const_cast<char*>(b.data() + off);
                iov[n].iov_len = b.size() - off;
                ++n;
            }
            off = 0;
        }
        if (n == 0) {
            index_ = wcount_;
            return true;
        }
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = static_cast<std::size_t>(n);
        const ssize_t sent = uninterrupted([&] { return ::sendmsg(c_->fd, &msg, MSG_NOSIGNAL); });
        if (sent < 0) {
            if (would_block(errno)) {
                return false;
            }
            err_ = errno;
            return true;
        }
        done_ += static_cast<std::size_t>(sent);
        c_->bytes_sent += static_cast<std::size_t>(sent);
        io_op_access::advance(*this, static_cast<std::size_t>(sent));
    }
}

void io_op::arm() noexcept {
    if (c_->tls != nullptr) [[unlikely]] {
        // TLS: wait for the readiness the last SSL step asked for, then retry it (ready()).
        (write_ ? c_->writing : c_->reading) = this;
        c_->sock.async_wait(tls_wait_read_ ? asio::socket_base::wait_read
                                           : asio::socket_base::wait_write,
                            [this](const asio::error_code& ec) { io_op_access::ready(*this, ec); });
        return;
    }
    if (!write_) {
        // Asio's reactor tries the recv at once, and otherwise queues it until the descriptor's
        // (edge-triggered) readiness event: no system call beyond the recv, whereas a readiness
        // wait (async_wait) re-arms the descriptor with an epoll_ctl each time. The recv that
        // try_now skips on a drained socket is the one Asio makes here.
        c_->reading = this;
        c_->sock.async_receive(asio::buffer(rbuf_, rlen_),
                               [this](const asio::error_code& ec, std::size_t n) {
                                   io_op_access::received(*this, ec, n);
                               });
        return;
    }
    c_->writing = this;
    c_->sock.async_wait(asio::socket_base::wait_write,
                        [this](const asio::error_code& ec) { io_op_access::ready(*this, ec); });
}

bool io_op::on_cancel(void* self) noexcept {
    auto* op = static_cast<io_op*>(self);
    io_op_access::cancelled(*op) = true;
    // The wait completes with operation_aborted (or already completed: its handler is queued) and
    // resumes the task, which then throws cancelled_error. A concurrent operation in the other
    // direction sees the abort too and re-arms its own wait.
    if (op->c_ != nullptr) { // else the connection is gone and the wait already aborted
        asio::error_code ignored;
        op->c_->sock.cancel(ignored);
    }
    return true;
}

/// The tls_error of a failed TLS read or write (out of line: the plain path never comes here).
[[noreturn, gnu::noinline, gnu::cold]] void throw_tls_failure(const connection_impl* c,
                                                              bool write) {
    const std::string who = c != nullptr ? " " + c->peer_endpoint().to_string() : "";
    throw tls_error(std::string("TLS ") + (write ? "write" : "read") + " failed on" + who + ": " +
                    (c != nullptr && c->tls != nullptr ? c->tls->failure : ""));
}

void io_op::finish(const char* what) {
    if (write_ && c_ != nullptr && c_->tls != nullptr) [[unlikely]] {
        tls_write_ended(*c_, this);
    }
    if (err_ == redeliver_cancel) {
        err_ = 0;
        leave(what);
        if (slot_ != nullptr) {
            slot_->restore(); // pending again (not counted twice): the next suspension point is
                              // cancelled
        }
        return;
    }
    leave(what);
    if (err_ == wrong_loop) {
        throw invalid_state_error(
            "weft::net::connection used from a task of another loop: a connection belongs to the "
            "loop that connected or accepted it; hand the data over instead (a queue, a future)");
    }
    if (err_ != 0) {
        if (err_ == tls_failed) {
            throw_tls_failure(c_, write_);
        }
        throw_errno(err_, write_ ? "write" : "read",
                    c_ != nullptr ? c_->peer_endpoint() : endpoint{});
    }
}

int new_socket(int family) {
    const int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        const std::error_code code(errno, std::system_category());
        throw error("cannot create a socket: " + code.message(), code);
    }
    return fd;
}

/// Connects a fresh socket to ep (a numeric endpoint) on the current loop.
task<connection> connect_to(endpoint ep, bool nodelay) {
    sockaddr_storage ss{};
    const socklen_t len = to_sockaddr(ep, ss);
    const int family = ss.ss_family;
    // The connection owns the descriptor from here on, so that every exit closes it.
    connection c =
        make_connection(new_socket(family), family, reinterpret_cast<sockaddr*>(&ss), len, nodelay);
    const int fd = c.native_handle();
    int rc = 0;
    do {
        rc = ::connect(fd, reinterpret_cast<sockaddr*>(&ss), len);
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) {
        co_return c;
    }
    if (errno != EINPROGRESS && errno != EAGAIN) {
        const int err = errno;
        throw_errno(err == ENOENT ? ECONNREFUSED : err, "connect", ep);
    }
    // Wait until writable, then read the outcome from SO_ERROR.
    auto* sock = &c.impl()->sock;
    callback_awaiter<int> writable(
        [sock](unique_function<void(asio::error_code, int)> done) {
            sock->async_wait(
                asio::socket_base::wait_write,
                [done = std::move(done)](const asio::error_code& e) mutable { done(e, 0); });
        },
        [sock] {
            asio::error_code ignored;
            sock->cancel(ignored);
        },
        "connect was cancelled");
    auto [ec, unused] = co_await writable;
    (void)unused;
    if (ec) {
        throw_errno(ec.value(), "connect", ep);
    }
    int err = 0;
    socklen_t errlen = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen);
    if (err != 0) {
        throw_errno(err, "connect", ep);
    }
    co_return c;
}

task<std::vector<endpoint>> resolve(std::string host, std::uint16_t port) {
    std::string h = host;
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
        h = h.substr(1, h.size() - 2);
    }
    std::vector<endpoint> out;
    asio::error_code ec;
    const asio::ip::address numeric = asio::ip::make_address(h, ec);
    if (!ec) {
        out.emplace_back(numeric.to_string(), port);
        co_return out;
    }
    asio::ip::tcp::resolver resolver(current_io());
    auto* r = &resolver;
    using results_t = asio::ip::tcp::resolver::results_type;
    // Asio resolves on a thread of its own; the completion runs on this loop. A cancellation
    // resumes the task once that lookup returns.
    // The awaiter is a named local, not a temporary in the co_await expression (g++ 12).
    callback_awaiter<results_t> lookup(
        [r, h, port](unique_function<void(asio::error_code, results_t)> done) {
            r->async_resolve(
                h, std::to_string(port),
                [done = std::move(done)](const asio::error_code& e, results_t res) mutable {
                    done(e, std::move(res));
                });
        },
        [r] { r->cancel(); }, "resolving a host name was cancelled");
    auto [rec, results] = co_await lookup;
    if (rec || results.empty()) {
        throw resolve_error("cannot resolve '" + host +
                                "': " + (rec ? rec.message() : std::string("no addresses")),
                            rec);
    }
    for (const auto& entry : results) {
        const auto ep = entry.endpoint();
        out.emplace_back(ep.address().to_string(), ep.port());
    }
    co_return out;
}

} // namespace detail

// ---- connection
// -----------------------------------------------------------------------------------

connection::connection() noexcept = default;
connection::connection(std::unique_ptr<detail::connection_impl> impl) noexcept
    : impl_(std::move(impl)) {}
connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&& o) noexcept {
    if (this != &o) {
        close();
        impl_ = std::move(o.impl_);
    }
    return *this;
}
connection::~connection() {
    close();
}

void connection::shutdown_write() noexcept {
    if (is_open()) {
        if (impl_->tls != nullptr) {
            detail::tls_close_notify(*impl_);
        }
        ::shutdown(impl_->fd, SHUT_WR);
    }
}

void connection::close() noexcept {
    if (impl_ != nullptr && impl_->fd >= 0) {
        if (impl_->tls != nullptr) {
            detail::tls_close_notify(*impl_);
        }
        asio::error_code ignored;
        impl_->sock.close(ignored); // pending waits complete with operation_aborted
        impl_->fd = -1;
    }
}

void connection::abort() noexcept {
    if (is_open()) {
        if (impl_->tls != nullptr) {
            detail::tls_abandon(*impl_);
        }
        linger lg{1, 0};
        ::setsockopt(impl_->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close();
    }
}

bool connection::can_send_file() const noexcept {
    return impl_ != nullptr && impl_->tls == nullptr;
}

bool connection::is_open() const noexcept {
    return impl_ != nullptr && impl_->fd >= 0;
}

endpoint connection::local_endpoint() const {
    if (!is_open()) {
        return {};
    }
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(impl_->fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
        return {};
    }
    return detail::to_endpoint(reinterpret_cast<sockaddr*>(&ss), len);
}

endpoint connection::peer_endpoint() const {
    return impl_ != nullptr ? impl_->peer_endpoint() : endpoint{};
}

void connection::set_nodelay(bool on) {
    if (is_open() && impl_->family != AF_UNIX) {
        const int v = on ? 1 : 0;
        if (::setsockopt(impl_->fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) != 0) {
            detail::throw_errno(errno, "setsockopt(TCP_NODELAY)", peer_endpoint());
        }
    }
}

int connection::native_handle() const noexcept {
    return impl_ != nullptr ? impl_->fd : -1;
}

task<connection> connection::connect(std::string host, std::uint16_t port, connect_options opts) {
    std::string name = opts.tls ? host : std::string();
    const std::vector<endpoint> candidates = co_await detail::resolve(std::move(host), port);
    std::exception_ptr last;
    connection c;
    for (const endpoint& ep : candidates) {
        try {
            c = co_await detail::connect_to(ep, opts.nodelay);
            break;
        } catch (const error&) {
            last = std::current_exception();
        }
    }
    if (!c.is_open()) {
        std::rethrow_exception(last);
    }
    if (opts.tls) {
        co_await detail::tls_connect(c, *opts.tls, std::move(name));
    }
    co_return c;
}

task<connection> connection::connect(std::string host, std::uint16_t port) {
    return connect(std::move(host), port, connect_options{});
}

task<connection> connection::connect_unix(std::string path) {
    co_return co_await detail::connect_to(endpoint::unix_path(std::move(path)), false);
}

} // namespace weft::net
