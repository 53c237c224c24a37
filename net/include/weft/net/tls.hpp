#pragma once

#include <weft/net/error.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace weft::net {

/// TLS settings of a server (net::server_options::tls, http::server_options::tls) or of a client
/// connection (connect_options::tls). Files are PEM. Defaults: TLS 1.2 and later, OpenSSL's
/// default ciphers, peer verification on for clients.
struct tls_options {
    /// The TLS versions a connection may use.
    enum class version { tls1_2, tls1_3 };

    /// Certificate chain (leaf first, then intermediates). Required on a server; on a client, a
    /// certificate to present when the server asks for one (empty: none).
    std::string certificate_chain_file;
    /// The private key of the leaf certificate.
    std::string private_key_file;
    /// Server: verify client certificates against the CAs in this file (empty: no client
    /// certificates are asked for). Client: trust these CAs instead of the system store.
    std::string ca_file;
    /// Server with ca_file: refuse a client that presents no certificate.
    bool require_client_certificate = false;
    /// The oldest version accepted (TLS 1.2 by default).
    version min_version = version::tls1_2;
    /// TLS 1.2 cipher list, OpenSSL syntax ("ECDHE+AESGCM:..."); empty: OpenSSL's defaults.
    std::string ciphers;
    /// TLS 1.3 cipher suites, OpenSSL syntax ("TLS_AES_128_GCM_SHA256:..."); empty: defaults.
    std::string ciphersuites;
    /// ALPN protocols in order of preference ("http/1.1"); empty: no ALPN. A server picks the
    /// first of its list that the client offers, and goes on without ALPN when none matches.
    std::vector<std::string> alpn;
    /// Client: the name sent as SNI and checked against the certificate (empty: the host
    /// connected to; an IP address is checked against the certificate's IP addresses, no SNI).
    std::string server_name;
    /// Client: verify the server's certificate chain and name (turn off for tests only).
    bool verify_peer = true;
    /// How long the handshake may take before the connection is closed.
    std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
};

/// A TLS failure: a handshake refused (certificate expired, hostname mismatch, unknown CA, no
/// shared cipher...), a bad certificate or key file, or a TLS protocol error on an open
/// connection. what() carries OpenSSL's reason text.
class tls_error : public error {
public:
    using error::error;
};

} // namespace weft::net
