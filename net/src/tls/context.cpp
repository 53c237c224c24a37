// TLS contexts from tls_options: asio::ssl::context owns the SSL_CTX; the settings are made with
// OpenSSL's own calls so that a refusal carries OpenSSL's reason. Server contexts select ALPN
// with a callback over their list; client contexts offer theirs, trust either the CA file or the
// system store, and are shared by the connections made with the same options (loading the system
// store takes tens of milliseconds). Every context: no renegotiation, an unexpected EOF reads as
// an end of stream (HTTP frames its own bodies, as nginx does), partial writes (one record per
// SSL_write), read ahead (one recv per batch of records), buffers released when idle.
#include "context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <chrono>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace weft::net::detail {

namespace {

[[noreturn]] void fail(const std::string& what) {
    throw tls_error("TLS: " + what + ": " + take_openssl_errors("refused by OpenSSL"));
}

std::string alpn_wire_of(const std::vector<std::string>& protocols) {
    std::string wire;
    for (const std::string& p : protocols) {
        if (p.empty() || p.size() > 255) {
            throw tls_error("TLS: an ALPN protocol name must have 1 to 255 characters");
        }
        wire.push_back(static_cast<char>(p.size()));
        wire += p;
    }
    return wire;
}

int select_alpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* outlen,
                const unsigned char* in, unsigned int inlen, void* arg) {
    const auto* c = static_cast<const tls_context*>(arg);
    unsigned char* chosen = nullptr;
    const auto* ours = reinterpret_cast<const unsigned char*>(c->alpn_wire.data());
    if (SSL_select_next_proto(&chosen, outlen, ours, static_cast<unsigned>(c->alpn_wire.size()), in,
                              inlen) != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_NOACK; // no common protocol: go on without ALPN
    }
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

void load_identity(SSL_CTX* h, const tls_options& o, bool server) {
    if (server && (o.certificate_chain_file.empty() || o.private_key_file.empty())) {
        throw tls_error("TLS: a server needs certificate_chain_file and private_key_file");
    }
    if (o.certificate_chain_file.empty()) {
        return;
    }
    if (SSL_CTX_use_certificate_chain_file(h, o.certificate_chain_file.c_str()) != 1) {
        fail("cannot load the certificate chain '" + o.certificate_chain_file + "'");
    }
    if (SSL_CTX_use_PrivateKey_file(h, o.private_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        fail("cannot load the private key '" + o.private_key_file + "'");
    }
    if (SSL_CTX_check_private_key(h) != 1) {
        fail("the private key '" + o.private_key_file + "' does not match the certificate");
    }
}

void load_trust(SSL_CTX* h, const tls_options& o, bool server) {
    if (!o.ca_file.empty() && SSL_CTX_load_verify_locations(h, o.ca_file.c_str(), nullptr) != 1) {
        fail("cannot load the CA file '" + o.ca_file + "'");
    }
    if (server) {
        if (o.ca_file.empty()) {
            SSL_CTX_set_verify(h, SSL_VERIFY_NONE, nullptr);
            return;
        }
        if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.ca_file.c_str())) {
            SSL_CTX_set_client_CA_list(h, names);
        }
        SSL_CTX_set_verify(h,
                           SSL_VERIFY_PEER |
                               (o.require_client_certificate ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                           nullptr);
        return;
    }
    if (o.ca_file.empty() && o.verify_peer && SSL_CTX_set_default_verify_paths(h) != 1) {
        fail("cannot load the system's trusted certificates");
    }
    SSL_CTX_set_verify(h, o.verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
}

} // namespace

tls_context::tls_context(bool server_side)
    : ctx(server_side ? asio::ssl::context::tls_server : asio::ssl::context::tls_client),
      server(server_side) {}

std::string take_openssl_errors(const char* fallback) {
    std::string text;
    while (const unsigned long e = ERR_get_error()) {
        const char* reason = ERR_reason_error_string(e);
        if (!text.empty()) {
            text += "; ";
        }
        text += reason != nullptr ? reason : "error " + std::to_string(ERR_GET_REASON(e));
    }
    return text.empty() ? std::string(fallback) : text;
}

std::shared_ptr<const tls_context> make_tls_context(const tls_options& o, bool server) {
    ERR_clear_error();
    auto c = std::make_shared<tls_context>(server);
    SSL_CTX* h = c->ctx.native_handle();
    SSL_CTX_set_options(h, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF |
                               SSL_OP_NO_COMPRESSION |
                               (server ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
    SSL_CTX_set_mode(h, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_read_ahead(h, 1);
    const int min = o.min_version == tls_options::version::tls1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
    if (SSL_CTX_set_min_proto_version(h, min) != 1) {
        fail("cannot set the minimum version");
    }
    if (!o.ciphers.empty() && SSL_CTX_set_cipher_list(h, o.ciphers.c_str()) != 1) {
        fail("no usable cipher in '" + o.ciphers + "'");
    }
    if (!o.ciphersuites.empty() && SSL_CTX_set_ciphersuites(h, o.ciphersuites.c_str()) != 1) {
        fail("no usable TLS 1.3 suite in '" + o.ciphersuites + "'");
    }
    load_identity(h, o, server);
    load_trust(h, o, server);
    if (!o.alpn.empty()) {
        c->alpn_wire = alpn_wire_of(o.alpn);
        if (server) {
            SSL_CTX_set_alpn_select_cb(h, &select_alpn, c.get());
        } else if (SSL_CTX_set_alpn_protos(
                       h, reinterpret_cast<const unsigned char*>(c->alpn_wire.data()),
                       static_cast<unsigned>(c->alpn_wire.size())) != 0) {
            fail("cannot set the ALPN list");
        }
    }
    return c;
}

namespace {

struct client_cache {
    struct entry {
        std::string key;
        std::shared_ptr<const tls_context> ctx;
        std::chrono::steady_clock::time_point made;
    };
    std::mutex mtx;
    std::vector<entry> entries; // at most client_context_cache_size, oldest first
};

client_cache& clients() {
    static auto* c = new client_cache; // never destroyed: connections may outlive main()
    return *c;
}

// Everything of opts that goes into a client context (server_name does not: it is set on each
// connection), '\0'-separated.
std::string key_of(const tls_options& o) {
    std::string k;
    for (const std::string* f : {&o.certificate_chain_file, &o.private_key_file, &o.ca_file,
                                 &o.ciphers, &o.ciphersuites}) {
        k += *f;
        k += '\0';
    }
    for (const std::string& p : o.alpn) {
        k += p;
        k += '\1';
    }
    k += o.min_version == tls_options::version::tls1_3 ? '3' : '2';
    k += o.verify_peer ? 'v' : '-';
    return k;
}

} // namespace

std::shared_ptr<const tls_context> client_tls_context(const tls_options& o) {
    std::string key = key_of(o);
    client_cache& c = clients();
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(c.mtx);
        for (const client_cache::entry& e : c.entries) {
            if (e.key == key && now - e.made < client_context_lifetime) {
                return e.ctx;
            }
        }
    }
    // Built outside the lock: loading the trust store is the slow part; two connections racing
    // here build two contexts, and the later one is kept.
    std::shared_ptr<const tls_context> ctx = make_tls_context(o, false);
    std::lock_guard lock(c.mtx);
    std::erase_if(c.entries, [&](const client_cache::entry& e) {
        return e.key == key || now - e.made >= client_context_lifetime;
    });
    if (c.entries.size() >= client_context_cache_size) {
        c.entries.erase(c.entries.begin());
    }
    c.entries.push_back({std::move(key), ctx, now});
    return ctx;
}

tls_context_slot::tls_context_slot(tls_options opts)
    : opts_(std::move(opts)), current_(make_tls_context(opts_, true)) {}

std::shared_ptr<const tls_context> tls_context_slot::get() const {
    std::lock_guard lock(mtx_);
    return current_;
}

void tls_context_slot::reload() {
    std::shared_ptr<const tls_context> fresh = make_tls_context(opts_, true); // throws: old kept
    std::lock_guard lock(mtx_);
    current_.swap(fresh);
    // The old context is released outside the lock (fresh's destructor, after unlocking) if no
    // connection holds it.
}

} // namespace weft::net::detail
