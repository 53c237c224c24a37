#pragma once

// Private: the TLS state of one connection (connection_impl::tls) and the steps that the
// connection's read/write operations (connection.cpp's io_op) and its close run through it.
//
// The SSL object reads and writes the connection's non-blocking socket itself, through a BIO of
// weft's own (bio.cpp: recv/send with MSG_NOSIGNAL, counting bytes_sent). A step either makes
// progress or says which readiness it waits for (tls_want): the io_op waits for it on the
// reactor and retries. A read and a write may be pending at once, on the connection's loop
// thread only: SSL_read may need the socket writable and SSL_write readable, so each operation
// waits for whatever its own step asked for. SSL_write is retried with the same arguments after a
// WANT_*: the gathered buffers it joined stay in `stage` until the record is out.

#include "context.hpp"

#include <openssl/ssl.h>

#include <weft/net/connection.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace weft::net::detail {

struct connection_impl;

/// io_op::err_ of a TLS failure; the reason is in tls_stream::failure.
constexpr int tls_failed = -3;

/// Largest TLS record payload: the buffers of a gathered write are joined up to it.
constexpr std::size_t tls_record_size = 16 * 1024;

struct tls_stream {
    tls_stream() = default;
    tls_stream(const tls_stream&) = delete;
    tls_stream& operator=(const tls_stream&) = delete;
    ~tls_stream();

    SSL* ssl = nullptr;
    std::shared_ptr<const tls_context> ctx; ///< kept while the connection lives (reloads)
    /// Gathered small buffers joined into one record; allocated at the first gathered write.
    std::unique_ptr<char[]> stage;
    std::size_t staged = 0; ///< bytes in stage waiting for an SSL_write retry (0: none)
    /// The write operation whose SSL_write returned WANT_*: its record is encrypted and partly
    /// sent, so only that operation's retry may call SSL_write next. nullptr: none.
    const void* pending_write = nullptr;
    int sys_errno = 0;   ///< errno of the BIO's last failed recv/send (0: none)
    std::string failure; ///< reason of the last TLS failure
    bool failed = false; ///< a fatal error or an abandoned record: no more writes, no close_notify
    bool close_sent = false;
    bool plain_http = false; ///< the handshake failed because the peer sent a plain HTTP request
};

/// What a TLS step wants before it can go on.
enum class tls_want : unsigned char { none, read, write };

/// Outcome of a step: n bytes done, or a readiness to wait for, or err (errno or tls_failed).
struct tls_io {
    std::size_t n = 0;
    tls_want want = tls_want::none;
    int err = 0;
};

/// A BIO that reads and writes c's socket (bio.cpp).
[[nodiscard]] BIO* make_socket_bio(connection_impl* c);

/// Makes c a TLS connection over ctx (accept or connect state); the handshake is still to do.
/// @throws tls_error when OpenSSL cannot make the SSL object.
void attach_tls(connection_impl& c, std::shared_ptr<const tls_context> ctx);
/// Frees c.tls (no I/O).
void destroy_tls(tls_stream* t) noexcept;

/// One SSL_read into buf (n == 0 with no want and no err: the stream ended).
[[nodiscard]] tls_io tls_read(connection_impl& c, char* buf, std::size_t len);
/// One SSL_write from bufs[0] at offset (small buffers joined, see tls_record_size), for the
/// write operation op.
[[nodiscard]] tls_io tls_write(connection_impl& c, const void* op,
                               const std::span<const char>* bufs, std::size_t count,
                               std::size_t offset);
/// The write operation op ends (done, failed or cancelled): a record it left half sent makes
/// the connection unable to write.
void tls_write_ended(connection_impl& c, const void* op) noexcept;
/// Sends close_notify if the socket takes it now (never waits); once.
void tls_close_notify(connection_impl& c) noexcept;
/// No close_notify any more (abort()).
void tls_abandon(connection_impl& c) noexcept;

/// The server side's handshake on an accepted connection, within timeout (zero: none).
/// @throws tls_error (refused, or timed out); net::error; cancelled_error.
[[nodiscard]] task<void> tls_accept(connection& c, std::shared_ptr<const tls_context> ctx,
                                    std::chrono::milliseconds timeout);
/// After a server handshake failed on a plain HTTP request (tls_stream::plain_http): writes
/// `reply` unencrypted, ends the sending side, and reads and drops what the peer sent (at most
/// 64 KiB, for at most a second), so that closing does not reset the connection before the peer
/// reads the reply. Best effort: a reply that does not fit the socket at once is not sent.
[[nodiscard]] task<void> answer_plain_http(connection& c, std::string_view reply);
/// The client side's handshake to host (SNI and name check per opts), within its timeout.
/// @throws tls_error; net::error; cancelled_error.
[[nodiscard]] task<void> tls_connect(connection& c, const tls_options& opts, std::string host);

} // namespace weft::net::detail
