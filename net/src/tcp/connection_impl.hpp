#pragma once

// Private: the socket behind weft::net::connection, and helpers shared by the TCP sources.

#include <weft/net/address.hpp>
#include <weft/net/connection.hpp>

#include <asio/generic/stream_protocol.hpp>
#include <asio/io_context.hpp>

#include <sys/socket.h>

#include <weft/runtime/detail/unique_function.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/task.hpp>

#include <asio/error_code.hpp>

#include <cerrno>
#include <coroutine>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace weft::net::detail {

struct tls_stream;

/// A connected stream socket on one loop's io_context. The descriptor is non-blocking; reads and
/// writes are plain system calls, tried at once; a read that cannot finish is queued on the
/// io_context's reactor, a write waits for its readiness.
struct connection_impl {
    /// Takes ownership of fd (a connected, non-blocking stream socket of the given family).
    connection_impl(asio::io_context& io, int fd, int family, const sockaddr* peer,
                    socklen_t peer_len);

    /// Detaches the pending operations (their waits complete with operation_aborted and report
    /// a closed connection), so that destroying a connection under a waiting task is safe.
    ~connection_impl();
    connection_impl(const connection_impl&) = delete;
    connection_impl& operator=(const connection_impl&) = delete;

    asio::generic::stream_protocol::socket sock;
    int fd;
    int family;
    sockaddr_storage peer{};
    socklen_t peer_len = 0;
    weft::loop* home = nullptr; ///< the loop whose io_context the socket is registered with
    io_op* reading = nullptr;   ///< the pending read's wait, if any
    io_op* writing = nullptr;   ///< the pending write's wait, if any
    /// The last read took less than it asked for: the socket is probably drained, so the next
    /// read waits for readiness instead of trying a recv that would fail (EAGAIN).
    bool drained = false;
    /// Bytes the writes have handed to the kernel so far (the HTTP server's send_timeout tells a
    /// stalled write from a slow one by it).
    std::uint64_t bytes_sent = 0;
    /// The TLS state (net/src/tls/stream.hpp) of a TLS connection; nullptr for a plain one, whose
    /// reads and writes never look further.
    tls_stream* tls = nullptr;

    [[nodiscard]] endpoint peer_endpoint() const;
};

/// Makes a non-blocking system call, again while a signal interrupts it (EINTR): its result, or
/// -1 with errno telling why (would_block(errno): not ready, wait for the socket).
template <class Call>
[[nodiscard]] inline auto uninterrupted(Call&& call) noexcept {
    auto n = call();
    while (n < 0 && errno == EINTR) {
        n = call();
    }
    return n;
}

/// Whether err says that a non-blocking socket is not ready (EAGAIN, EWOULDBLOCK).
[[nodiscard]] inline bool would_block(int err) noexcept {
    return err == EAGAIN || err == EWOULDBLOCK;
}

/// The endpoint of a socket address (family::none when it is none of IPv4, IPv6, Unix).
[[nodiscard]] endpoint to_endpoint(const sockaddr* sa, socklen_t len);

/// Fills ss with the socket address of ep; returns its length.
/// @throws net::error when ep is empty or a Unix path is too long.
socklen_t to_sockaddr(const endpoint& ep, sockaddr_storage& ss);

/// The typed exception for errno err while doing `what` with peer (ECONNRESET/EPIPE ->
/// connection_reset, ECONNREFUSED/ENOENT on connect -> connection_refused, else net::error).
[[noreturn]] void throw_errno(int err, const std::string& what, const endpoint& peer);

/// The io_context of the loop running on this thread.
/// @throws invalid_state_error outside a weft loop.
[[nodiscard]] asio::io_context& current_io();

/// A connection around a connected socket fd (non-blocking, close-on-exec), on the current loop.
[[nodiscard]] connection make_connection(int fd, int family, const sockaddr* peer,
                                         socklen_t peer_len, bool nodelay);

using weft::detail::unique_function;

/// A new non-blocking, close-on-exec stream socket.
/// @throws net::error when the system refuses.
[[nodiscard]] int new_socket(int family);

/// The addresses of host (a numeric address, or a name resolved asynchronously on the current
/// loop), with port.
/// @throws resolve_error; cancelled_error.
[[nodiscard]] task<std::vector<endpoint>> resolve(std::string host, std::uint16_t port);

// ---- one-shot Asio operations awaited with a callback (connect, resolve)
// --------------------------

/// Awaits one Asio operation started by start(handler); cancel() cancels it. Resumes the task from
/// the completion handler, which runs on the task's loop.
template <class Result>
class callback_awaiter : private weft::detail::cancellable_wait {
public:
    using starter = unique_function<void(unique_function<void(asio::error_code, Result)>)>;

    callback_awaiter(starter start, unique_function<void()> cancel, const char* what)
        : start_(std::move(start)), cancel_(std::move(cancel)), what_(what) {}

    [[nodiscard]] bool await_ready() const noexcept { return false; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
        if (!enter(h)) {
            return false;
        }
        h_ = h;
        start_([this](asio::error_code ec, Result r) {
            ec_ = ec;
            result_.emplace(std::move(r));
            h_.resume();
        });
        arm_hook(
            [](void* p) noexcept {
                auto* self = static_cast<callback_awaiter*>(p);
                self->cancelled_ = true;
                self->cancel_();
                return true;
            },
            this);
        return true;
    }
    /// The error code and the result.
    std::pair<asio::error_code, Result> await_resume() {
        leave(what_);
        return {ec_, std::move(*result_)};
    }

private:
    starter start_;
    unique_function<void()> cancel_;
    const char* what_;
    std::coroutine_handle<> h_;
    asio::error_code ec_;
    std::optional<Result> result_;
};

} // namespace weft::net::detail
