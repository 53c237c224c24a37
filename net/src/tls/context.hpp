#pragma once

// Private: TLS contexts (an SSL_CTX owned by asio::ssl::context) built from tls_options, the
// clients' shared contexts, the server's reloadable context slot, and the text of OpenSSL's error
// queue.
//
// Thread safety: a tls_context is immutable once built and shared (SSL_CTX is thread-safe for
// SSL_new); tls_context_slot swaps its context under a mutex, from any thread.

#include <weft/net/tls.hpp>

#include <asio/ssl/context.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>

namespace weft::net::detail {

/// One SSL_CTX and what its callbacks read (the ALPN list in wire format).
struct tls_context {
    explicit tls_context(bool server_side);
    /// The SSL_CTX (SSL_new takes a reference; the context is not changed once built).
    [[nodiscard]] SSL_CTX* handle() const noexcept {
        return const_cast<asio::ssl::context&>(ctx).native_handle();
    }
    asio::ssl::context ctx;
    std::string alpn_wire; ///< length-prefixed protocol names
    bool server;
};

/// A context for a server (server true: certificate and key required) or a client.
/// @throws tls_error with OpenSSL's reason when a file or a setting is refused.
[[nodiscard]] std::shared_ptr<const tls_context> make_tls_context(const tls_options& opts,
                                                                  bool server);

/// A client context for opts, shared by the connections made with the same options: building one
/// loads the system's trust store (tens of milliseconds on the loop), so it is built once and
/// kept for client_context_lifetime (a CA file or client certificate replaced meanwhile is read
/// when it is rebuilt); at most client_context_cache_size option sets are kept.
/// @throws tls_error as make_tls_context.
[[nodiscard]] std::shared_ptr<const tls_context> client_tls_context(const tls_options& opts);
inline constexpr std::chrono::minutes client_context_lifetime{5};
inline constexpr std::size_t client_context_cache_size = 16;

/// OpenSSL's error queue as text ("reason; reason"), emptied; fallback when it is empty.
[[nodiscard]] std::string take_openssl_errors(const char* fallback);

/// A server's current context and its options: reload() builds a new one from the same files
/// and swaps it in; connections hold the context they started with.
class tls_context_slot {
public:
    explicit tls_context_slot(tls_options opts);
    [[nodiscard]] std::shared_ptr<const tls_context> get() const;
    void reload();
    [[nodiscard]] const tls_options& options() const noexcept { return opts_; }

private:
    tls_options opts_;
    mutable std::mutex mtx_;
    std::shared_ptr<const tls_context> current_; // guarded by mtx_
};

} // namespace weft::net::detail
