#pragma once

#include <weft/runtime/error.hpp>

#include <cstddef>
#include <string>
#include <utility>

namespace weft::http {

/// Base of the errors the HTTP client throws; the message names the method and the URL.
class client_error : public error {
public:
    /// An error about url (as requested, before redirects).
    client_error(const std::string& message, std::string url)
        : error(message), url_(std::move(url)) {}

    /// The URL that was requested.
    [[nodiscard]] const std::string& url() const noexcept { return url_; }

private:
    std::string url_;
};

/// The URL could not be parsed, or names a scheme other than http and https.
class invalid_url_error : public client_error {
public:
    using client_error::client_error;
};

/// The host name (or the proxy's) could not be resolved.
class resolve_error : public client_error {
public:
    using client_error::client_error;
};

/// No connection could be made: refused, unreachable, reset before the response.
class connect_error : public client_error {
public:
    using client_error::client_error;
};

/// The TLS handshake failed: an untrusted or mismatched certificate, a bad ca_file, no shared
/// cipher.
class tls_error : public client_error {
public:
    using client_error::client_error;
};

/// The client's own connect_timeout or timeout passed. Deliberately not a weft::timeout_error (an
/// exception with two weft::error bases could not be caught as std::exception): wait_for() around
/// a request still throws weft::timeout_error, as it does for any awaitable.
class timeout_error : public client_error {
public:
    using client_error::client_error;
};

/// The response redirected more than client_options::max_redirects times.
class too_many_redirects : public client_error {
public:
    using client_error::client_error;
};

/// A response crossed one of the client's size limits; the transfer was aborted at that point and
/// its connection closed. Base of response_too_large and headers_too_large.
class limit_error : public client_error {
public:
    limit_error(const std::string& message, std::string url, std::size_t limit)
        : client_error(message, std::move(url)), limit_(limit) {}

    /// The limit that was crossed, in bytes.
    [[nodiscard]] std::size_t limit() const noexcept { return limit_; }

private:
    std::size_t limit_;
};

/// The response body, counted after decoding (gzip, deflate, br, zstd, chunked), grew past
/// client_options::max_response_bytes.
class response_too_large : public limit_error {
public:
    using limit_error::limit_error;
};

/// The response head (status lines and header fields of every response of the request,
/// redirects and 1xx included) grew past client_options::max_header_bytes, or one header line
/// was longer than libcurl accepts (CURL_MAX_HTTP_HEADER, 100 KiB).
class headers_too_large : public limit_error {
public:
    using limit_error::limit_error;
};

/// response::raise_for_status() on a 4xx or 5xx status.
class status_error : public client_error {
public:
    status_error(const std::string& message, std::string url, int status)
        : client_error(message, std::move(url)), status_(status) {}

    /// The response's status code.
    [[nodiscard]] int status() const noexcept { return status_; }

private:
    int status_;
};

} // namespace weft::http
