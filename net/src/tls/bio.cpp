// The BIO under each TLS connection's SSL: recv/send on the connection's non-blocking socket
// (send with MSG_NOSIGNAL: a peer gone is EPIPE, never SIGPIPE), retry flags on EAGAIN so that
// OpenSSL reports WANT_READ/WANT_WRITE, the errno of a failure kept for the connection's error,
// and the bytes sent counted in connection_impl::bytes_sent (the HTTP server's send_timeout).
#include "stream.hpp"

#include "../tcp/connection_impl.hpp"

#include <openssl/bio.h>

#include <sys/socket.h>

#include <cerrno>

namespace weft::net::detail {

namespace {

connection_impl* conn_of(BIO* b) {
    return static_cast<connection_impl*>(BIO_get_data(b));
}

void keep_errno(connection_impl* c, int err) {
    if (c->tls != nullptr) {
        c->tls->sys_errno = err;
    }
}

int bio_write(BIO* b, const char* data, int len) {
    connection_impl* c = conn_of(b);
    BIO_clear_retry_flags(b);
    if (c->fd < 0) {
        keep_errno(c, EBADF);
        return -1;
    }
    const ssize_t n = uninterrupted(
        [&] { return ::send(c->fd, data, static_cast<std::size_t>(len), MSG_NOSIGNAL); });
    if (n >= 0) {
        c->bytes_sent += static_cast<std::size_t>(n);
        return static_cast<int>(n);
    }
    if (would_block(errno)) {
        BIO_set_retry_write(b);
    } else {
        keep_errno(c, errno);
    }
    return -1;
}

int bio_read(BIO* b, char* data, int len) {
    connection_impl* c = conn_of(b);
    BIO_clear_retry_flags(b);
    if (c->fd < 0) {
        keep_errno(c, EBADF);
        return -1;
    }
    const ssize_t n =
        uninterrupted([&] { return ::recv(c->fd, data, static_cast<std::size_t>(len), 0); });
    if (n >= 0) {
        return static_cast<int>(n);
    }
    if (would_block(errno)) {
        BIO_set_retry_read(b);
    } else {
        keep_errno(c, errno);
    }
    return -1;
}

long bio_ctrl(BIO* /*b*/, int cmd, long /*num*/, void* /*ptr*/) {
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int bio_create(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
}

BIO_METHOD* socket_method() {
    // Made once, never freed (as OpenSSL's own methods).
    static BIO_METHOD* const m = [] {
        BIO_METHOD* bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "weft socket");
        BIO_meth_set_write(bm, &bio_write);
        BIO_meth_set_read(bm, &bio_read);
        BIO_meth_set_ctrl(bm, &bio_ctrl);
        BIO_meth_set_create(bm, &bio_create);
        return bm;
    }();
    return m;
}

} // namespace

BIO* make_socket_bio(connection_impl* c) {
    BIO* b = BIO_new(socket_method());
    if (b != nullptr) {
        BIO_set_data(b, c);
    }
    return b;
}

} // namespace weft::net::detail
