// The data path of a TLS connection: SSL_read and SSL_write over the connection's own socket
// (no memory BIO, no copy beyond OpenSSL's record encryption), each step reporting what it waits
// for; small gathered buffers joined into one record; close_notify on close. See stream.hpp for
// the protocol with the connection's read/write operations.
#include "stream.hpp"

#include "../tcp/connection_impl.hpp"

#include <openssl/err.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace weft::net::detail {

namespace {

/// The outcome of a failed SSL call rc with SSL_get_error e.
tls_io failed_step(tls_stream& t, int e) {
    switch (e) {
    case SSL_ERROR_WANT_READ:
        return {0, tls_want::read, 0};
    case SSL_ERROR_WANT_WRITE:
        return {0, tls_want::write, 0};
    case SSL_ERROR_ZERO_RETURN:
        return {}; // close_notify: the end of the stream
    case SSL_ERROR_SYSCALL:
        t.failed = true;
        ERR_clear_error();
        if (t.sys_errno == 0) {
            return {}; // EOF without close_notify (with SSL_OP_IGNORE_UNEXPECTED_EOF: rare)
        }
        return {0, tls_want::none, t.sys_errno};
    default:
        t.failed = true;
        t.failure = take_openssl_errors("TLS protocol error");
        return {0, tls_want::none, tls_failed};
    }
}

int clamp(std::size_t n) {
    return static_cast<int>(std::min<std::size_t>(n, INT_MAX));
}

} // namespace

tls_stream::~tls_stream() {
    SSL_free(ssl); // frees the BIO too; the socket is the connection's
}

void attach_tls(connection_impl& c, std::shared_ptr<const tls_context> ctx) {
    auto t = std::make_unique<tls_stream>();
    ERR_clear_error();
    t->ssl = SSL_new(ctx->handle());
    BIO* bio = t->ssl != nullptr ? make_socket_bio(&c) : nullptr;
    if (bio == nullptr) {
        throw tls_error("TLS: cannot make a connection's state: " +
                        take_openssl_errors("out of memory"));
    }
    SSL_set_bio(t->ssl, bio, bio);
    if (ctx->server) {
        SSL_set_accept_state(t->ssl);
    } else {
        SSL_set_connect_state(t->ssl);
    }
    t->ctx = std::move(ctx);
    destroy_tls(c.tls);
    c.tls = t.release();
}

void destroy_tls(tls_stream* t) noexcept {
    delete t;
}

tls_io tls_read(connection_impl& c, char* buf, std::size_t len) {
    tls_stream& t = *c.tls;
    if (len == 0) {
        return {};
    }
    ERR_clear_error();
    t.sys_errno = 0;
    const int n = SSL_read(t.ssl, buf, clamp(len));
    if (n > 0) {
        return {static_cast<std::size_t>(n), tls_want::none, 0};
    }
    return failed_step(t, SSL_get_error(t.ssl, n));
}

tls_io tls_write(connection_impl& c, const void* op, const std::span<const char>* bufs,
                 std::size_t count, std::size_t offset) {
    tls_stream& t = *c.tls;
    if (t.failed || (t.pending_write != nullptr && t.pending_write != op)) {
        t.failed = true;
        t.failure = "the connection cannot write any more (an earlier write failed or was "
                    "cancelled in the middle of a TLS record)";
        return {0, tls_want::none, tls_failed};
    }
    const char* p = bufs[0].data() + offset;
    std::size_t len = bufs[0].size() - offset;
    if (t.staged > 0) {
        p = t.stage.get(); // the retry of a joined record: the same bytes again
        len = t.staged;
    } else if (count > 1 && len < tls_record_size) {
        // Join this buffer and the next into one record (HTTP: head + body), up to 16 KiB.
        if (!t.stage) {
            t.stage = std::make_unique_for_overwrite<char[]>(tls_record_size);
        }
        std::size_t used = 0;
        for (std::size_t i = 0; i < count && used < tls_record_size; ++i) {
            const char* from = bufs[i].data() + (i == 0 ? offset : 0);
            const std::size_t avail = bufs[i].size() - (i == 0 ? offset : 0);
            const std::size_t take = std::min(avail, tls_record_size - used);
            if (take > 0) {
                std::memcpy(t.stage.get() + used, from, take);
            }
            used += take;
        }
        p = t.stage.get();
        len = used;
        t.staged = used;
    }
    ERR_clear_error();
    t.sys_errno = 0;
    const int n = SSL_write(t.ssl, p, clamp(len));
    if (n > 0) {
        t.pending_write = nullptr;
        t.staged = 0;
        return {static_cast<std::size_t>(n), tls_want::none, 0};
    }
    const int e = SSL_get_error(t.ssl, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        t.pending_write = op;
        return failed_step(t, e);
    }
    t.staged = 0;
    t.pending_write = nullptr;
    tls_io r = failed_step(t, e);
    if (r.err == 0) {
        r.err = EPIPE; // a write that meets the end of the stream
    }
    t.failed = true;
    return r;
}

void tls_write_ended(connection_impl& c, const void* op) noexcept {
    tls_stream& t = *c.tls;
    if (t.pending_write == op) {
        t.pending_write = nullptr;
        t.staged = 0;
        t.failed = true; // the record is half sent: nothing more may be written
    }
}

void tls_close_notify(connection_impl& c) noexcept {
    tls_stream& t = *c.tls;
    if (t.failed || t.close_sent || c.fd < 0 || SSL_is_init_finished(t.ssl) == 0) {
        return;
    }
    t.close_sent = true;
    ERR_clear_error();
    (void)SSL_shutdown(t.ssl); // the alert goes out if the socket takes it; never waits
    ERR_clear_error();
}

void tls_abandon(connection_impl& c) noexcept {
    c.tls->failed = true;
}

} // namespace weft::net::detail
