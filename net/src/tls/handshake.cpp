// TLS handshakes on a connection's task: SSL_do_handshake over the non-blocking socket, waiting
// on the reactor for the readiness it asks for, bounded by the handshake timeout; the server side
// on an accepted connection, the client side with SNI and the name (or IP address) check. A
// refusal is a tls_error with its reason: the certificate verification's ("certificate has
// expired", "hostname mismatch"), else OpenSSL's error queue, else the socket's.
#include "stream.hpp"

#include "../tcp/connection_impl.hpp"

#include <weft/runtime/wait_for.hpp>

#include <asio/ip/address.hpp>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace weft::net::detail {

namespace {

/// Waits until c's socket is readable (or writable). Cancellable.
task<void> wait_ready(connection_impl* c, bool readable) {
    auto* sock = &c->sock;
    const auto kind = readable ? asio::socket_base::wait_read : asio::socket_base::wait_write;
    // A named local, not a temporary in the co_await expression (g++ 12).
    callback_awaiter<int> ready(
        [sock, kind](unique_function<void(asio::error_code, int)> done) {
            sock->async_wait(
                kind, [done = std::move(done)](const asio::error_code& e) mutable { done(e, 0); });
        },
        [sock] {
            asio::error_code ignored;
            sock->cancel(ignored);
        },
        "the TLS handshake was cancelled");
    auto [ec, unused] = co_await ready;
    (void)unused;
    if (ec) {
        throw_errno(ec == asio::error::operation_aborted ? EBADF : ec.value(), "TLS handshake",
                    c->peer_endpoint());
    }
}

std::string failure_reason(tls_stream& t, int e) {
    const long verify = SSL_get_verify_result(t.ssl);
    std::string why;
    if (verify != X509_V_OK) {
        why = X509_verify_cert_error_string(verify);
    } else if (e == SSL_ERROR_SYSCALL) {
        why = t.sys_errno != 0 ? std::error_code(t.sys_errno, std::system_category()).message()
                               : std::string("the peer closed the connection");
    } else {
        why = take_openssl_errors("refused");
    }
    ERR_clear_error();
    return why;
}

/// SSL_do_handshake until done.
task<void> handshake_steps(connection_impl* c) {
    for (;;) {
        tls_stream& t = *c->tls;
        ERR_clear_error();
        t.sys_errno = 0;
        const int rc = SSL_do_handshake(t.ssl);
        if (rc == 1) {
            co_return;
        }
        const int e = SSL_get_error(t.ssl, rc);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            co_await wait_ready(c, e == SSL_ERROR_WANT_READ);
            continue;
        }
        t.failed = true;
        const unsigned long first = ERR_peek_error();
        t.plain_http =
            ERR_GET_LIB(first) == ERR_LIB_SSL && ERR_GET_REASON(first) == SSL_R_HTTP_REQUEST;
        throw tls_error("TLS handshake with " + c->peer_endpoint().to_string() +
                        " failed: " + failure_reason(t, e));
    }
}

task<void> handshake(connection& c, std::chrono::milliseconds timeout) {
    connection_impl* impl = c.impl();
    if (timeout <= std::chrono::milliseconds::zero()) {
        co_await handshake_steps(impl);
        co_return;
    }
    try {
        co_await weft::wait_for(handshake_steps(impl), timeout);
    } catch (const timeout_error&) {
        impl->tls->failed = true;
        throw tls_error("TLS handshake with " + impl->peer_endpoint().to_string() +
                        " timed out after " + std::to_string(timeout.count()) + " ms");
    }
}

/// Reads and drops what the peer sends until it ends or 64 KiB went by.
task<void> drain_input(connection_impl* c) {
    char buf[4096];
    std::size_t total = 0;
    while (total < 64 * 1024) {
        const ssize_t n =
            uninterrupted([&] { return ::recv(c->fd, buf, sizeof buf, MSG_DONTWAIT); });
        if (n > 0) {
            total += static_cast<std::size_t>(n);
        } else if (n < 0 && would_block(errno)) {
            co_await wait_ready(c, true);
        } else {
            co_return; // the end, or an error
        }
    }
}

} // namespace

task<void> answer_plain_http(connection& c, std::string_view reply) {
    connection_impl* impl = c.impl();
    const ssize_t n = uninterrupted(
        [&] { return ::send(impl->fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT); });
    if (n != static_cast<ssize_t>(reply.size())) {
        co_return;
    }
    ::shutdown(impl->fd, SHUT_WR);
    try {
        co_await weft::wait_for(drain_input(impl), std::chrono::seconds(1));
    } catch (const timeout_error&) {
    } catch (const net::error&) {
    }
}

task<void> tls_accept(connection& c, std::shared_ptr<const tls_context> ctx,
                      std::chrono::milliseconds timeout) {
    attach_tls(*c.impl(), std::move(ctx));
    co_await handshake(c, timeout);
}

task<void> tls_connect(connection& c, const tls_options& opts, std::string host) {
    std::string name = opts.server_name.empty() ? std::move(host) : opts.server_name;
    if (name.size() >= 2 && name.front() == '[' && name.back() == ']') {
        name = name.substr(1, name.size() - 2);
    }
    attach_tls(*c.impl(), client_tls_context(opts));
    SSL* ssl = c.impl()->tls->ssl;
    asio::error_code not_ip;
    (void)asio::ip::make_address(name, not_ip);
    const bool is_ip = !not_ip;
    if (opts.verify_peer) {
        const int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str())
                             : SSL_set1_host(ssl, name.c_str());
        if (ok != 1) {
            throw tls_error("TLS: cannot check the server's name '" + name +
                            "': " + take_openssl_errors("refused"));
        }
    }
    // SNI names a host, never an address (RFC 6066).
    if (!is_ip && !name.empty() && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
        throw tls_error("TLS: cannot send the server name '" + name +
                        "': " + take_openssl_errors("refused"));
    }
    co_await handshake(c, opts.handshake_timeout);
}

} // namespace weft::net::detail
