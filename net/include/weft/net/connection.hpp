#pragma once

#include <weft/net/address.hpp>
#include <weft/net/error.hpp>
#include <weft/net/tls.hpp>
#include <weft/runtime/detail/cancel_state.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/task.hpp>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace weft::net {

namespace detail {

struct connection_impl;
struct io_op_access;

/// One read or write on a connection, awaited in the caller's frame: it first tries the system
/// call at once (non-blocking; a read skips that when the previous one drained the socket), and
/// only when the socket is not ready hands it to the loop's reactor (a read is queued there and
/// done when data arrives; a write waits for readiness and is retried), which resumes the
/// awaiting task on the loop thread. No allocation per operation. Cancellable, and no data is
/// lost: a read cancelled before it took bytes throws cancelled_error; one that took them returns
/// them, and the cancellation reaches the task's next suspension point.
class io_op : protected weft::detail::cancellable_wait {
protected:
    io_op(connection_impl* c, bool write) noexcept : c_(c), write_(write) {}

    /// Tries the operation now; true when it finished (done, or failed).
    bool try_now() noexcept;
    /// Arms the readiness wait (the awaiting coroutine is h_).
    void arm() noexcept;
    /// Cancellation hook (runs on the task's loop).
    static bool on_cancel(void* self) noexcept;
    /// Throws cancelled_error or the operation's error.
    void finish(const char* what);

    template <class P>
    bool suspend(std::coroutine_handle<P> h) {
        if (!enter(h)) {
            return false;
        }
        h_ = h;
        arm();
        arm_hook(&on_cancel, this);
        return true;
    }

    connection_impl* c_;
    std::coroutine_handle<> h_;
    // read: the buffer; write: the buffers still to send, from (index_, offset_).
    char* rbuf_ = nullptr;
    std::size_t rlen_ = 0;
    const std::span<const char>* wbufs_ = nullptr;
    std::size_t wcount_ = 0;
    std::size_t index_ = 0;
    std::size_t offset_ = 0;
    std::size_t done_ = 0; ///< bytes transferred
    int err_ = 0;          ///< errno of a failure, 0 when none
    bool write_;
    // send_file: the file and the offset of its next byte (file_fd_ -1: not a file send).
    int file_fd_ = -1;
    std::uint64_t file_off_ = 0;
    /// TLS only: the readiness the operation waits for (true: readable, false: writable). A TLS
    /// read may need the socket writable (a record to send first) and a write readable.
    bool tls_wait_read_ = false;

private:
    /// try_now() of a file send (send_file.cpp).
    bool try_send_file() noexcept;

    friend struct io_op_access;
};

/// Awaiter of connection::read_some.
class [[nodiscard]] read_some_awaiter : private io_op {
public:
    read_some_awaiter(connection_impl* c, std::span<char> buf) noexcept : io_op(c, false) {
        rbuf_ = buf.data();
        rlen_ = buf.size();
    }
    bool await_ready() noexcept { return try_now(); }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
        return suspend(h);
    }
    std::size_t await_resume() {
        finish("read was cancelled");
        return done_;
    }
};

/// Awaiter of connection::write_all.
class [[nodiscard]] write_all_awaiter : private io_op {
public:
    write_all_awaiter(connection_impl* c, std::span<const char> data) noexcept
        : io_op(c, true), one_(data) {}
    write_all_awaiter(connection_impl* c, std::span<const std::span<const char>> bufs) noexcept
        : io_op(c, true) {
        wbufs_ = bufs.data();
        wcount_ = bufs.size();
    }
    bool await_ready() noexcept {
        if (wbufs_ == nullptr) { // one buffer: point at it now, after any move of the awaiter
            wbufs_ = &one_;
            wcount_ = 1;
        }
        return try_now();
    }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
        return suspend(h);
    }
    void await_resume() { finish("write was cancelled"); }

private:
    std::span<const char> one_;
};

/// Awaiter of connection::send_file.
class [[nodiscard]] send_file_awaiter : private io_op {
public:
    send_file_awaiter(connection_impl* c, int fd, std::uint64_t offset, std::size_t count) noexcept
        : io_op(c, true) {
        file_fd_ = fd;
        file_off_ = offset;
        rlen_ = count;
    }
    bool await_ready() noexcept { return try_now(); }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
        return suspend(h);
    }
    std::size_t await_resume() {
        finish("sending a file was cancelled");
        return done_;
    }
};

} // namespace detail

/// How connection::connect behaves.
struct connect_options {
    /// TCP_NODELAY on the new connection (on by default: small writes go out at once).
    bool nodelay = true;
    /// TLS over the connection: the handshake (peer verification, SNI) is done before connect
    /// returns, and reads and writes carry TLS records. None by default.
    std::optional<tls_options> tls{};
};

/// One connected stream socket (TCP over IPv4/IPv6, or a Unix-domain socket), bound to the loop
/// that created or accepted it: use it from tasks of that loop only (a read or write awaited on
/// another loop throws invalid_state_error). Move-only; closes the socket when destroyed. TCP
/// connections have TCP_NODELAY on by default.
///
/// Reads and writes return awaiters (co_await them, or pass them to wait_for; no coroutine frame
/// per call) that complete without suspending when the socket is ready,
/// allocate nothing per call, and are cancellable (cancelled_error; no data is lost by cancelling
/// a read). A read and a write may be pending at the same time (one each). Closing or destroying
/// the connection while an operation is pending makes that operation throw net::error.
///
/// A TLS connection (connect_options::tls, or accepted by a server with TLS) has the same
/// interface: reads return decrypted bytes, writes are sent as TLS records (the buffers of a
/// gathered write are joined into records of up to 16 KiB), shutdown_write() and close() send a
/// close_notify first (close() without waiting for it). A failure of the TLS layer throws
/// tls_error. A TLS write that was cancelled while its record was half sent leaves the
/// connection unable to write (net::error): close it.
class connection {
public:
    /// A closed connection.
    connection() noexcept;
    connection(connection&&) noexcept;
    connection& operator=(connection&&) noexcept;
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection();

    /// Reads at most buf.size() bytes (at least one unless the stream ended); 0 at EOF.
    /// @throws connection_reset when the peer reset the connection; net::error on other failures
    /// or when the connection is closed; cancelled_error when cancelled.
    [[nodiscard]] detail::read_some_awaiter read_some(std::span<char> buf) noexcept {
        return {impl_.get(), buf};
    }

    /// Writes all of data (suspends while the socket's send buffer is full: backpressure).
    /// @throws connection_reset when the peer is gone; net::error; cancelled_error.
    [[nodiscard]] detail::write_all_awaiter write_all(std::span<const char> data) noexcept {
        return {impl_.get(), data};
    }

    /// Writes all the buffers in order with gathered writes (writev): header + body without a
    /// copy. The span and the buffers must stay alive until the write completes.
    [[nodiscard]] detail::write_all_awaiter
    write_all(std::span<const std::span<const char>> bufs) noexcept {
        return {impl_.get(), bufs};
    }

    /// Sends count bytes of the file fd from offset with sendfile(2), straight from the page
    /// cache (no copy through user space); waits while the socket's send buffer is full, as
    /// write_all does. Returns the bytes sent: fewer than count only when the file ended first
    /// (it shrank). fd stays the caller's. Only where can_send_file() holds.
    /// @throws connection_reset when the peer is gone; net::error (a read error of the file
    /// too); cancelled_error.
    [[nodiscard]] detail::send_file_awaiter send_file(int fd, std::uint64_t offset,
                                                      std::size_t count) noexcept {
        return {impl_.get(), fd, offset, count};
    }

    /// Whether send_file() may be used: an open plain connection, whose bytes go to the socket as
    /// they are (a TLS connection must encrypt them: write it with write_all instead).
    [[nodiscard]] bool can_send_file() const noexcept;

    /// Sends FIN: the peer reads EOF; reading from this side still works.
    void shutdown_write() noexcept;

    /// Closes the socket; pending reads and writes fail. Idempotent.
    void close() noexcept;

    /// Closes the socket with a reset (SO_LINGER 0): the peer sees ECONNRESET.
    void abort() noexcept;

    /// Whether the socket is open.
    [[nodiscard]] bool is_open() const noexcept;

    /// The local address.
    [[nodiscard]] endpoint local_endpoint() const;
    /// The peer's address (kept from connect/accept, so it is known after a reset too).
    [[nodiscard]] endpoint peer_endpoint() const;

    /// Sets TCP_NODELAY (no effect on Unix-domain sockets).
    void set_nodelay(bool on);

    /// The socket's file descriptor (-1 when closed). The connection still owns it.
    [[nodiscard]] int native_handle() const noexcept;

    /// Connects to host:port on the calling task's loop; host is a numeric address or a name,
    /// resolved asynchronously (every address is tried in turn). With opts.tls, also does the
    /// TLS handshake (bounded by its handshake_timeout) before returning.
    /// @throws resolve_error, connection_refused, net::error; tls_error when the TLS handshake
    /// fails (its reason: "certificate has expired", "hostname mismatch"...); cancelled_error.
    [[nodiscard]] static task<connection> connect(std::string host, std::uint16_t port,
                                                  connect_options opts);
    /// connect with default options. (An overload rather than a default argument: g++ 12
    /// miscompiles a defaulted class argument with a std::string member in a co_await
    /// expression.)
    [[nodiscard]] static task<connection> connect(std::string host, std::uint16_t port);

    /// Connects to a Unix-domain socket at path.
    /// @throws connection_refused (nothing listens), net::error; cancelled_error.
    [[nodiscard]] static task<connection> connect_unix(std::string path);

    /// Wraps an impl (weft's own use: accept).
    explicit connection(std::unique_ptr<detail::connection_impl> impl) noexcept;
    /// Engine access for weft's own components.
    [[nodiscard]] detail::connection_impl* impl() const noexcept { return impl_.get(); }

private:
    std::unique_ptr<detail::connection_impl> impl_;
};

} // namespace weft::net
