#pragma once

/// weft's HTTP client: libcurl's multi-socket interface driven by the weft loops. Each loop has,
/// per client, its own libcurl multi handle (connection pool, DNS cache), whose sockets and timer
/// live on the loop's event loop; a request runs on the loop of the task that awaits it and
/// resumes it there.
///
///     weft::http::client c;
///     weft::http::response r = co_await c.get("https://example.org/");
///     std::cout << r.status << ' ' << r.body.size() << '\n';

#include <weft/net/http/client_error.hpp>
#include <weft/net/http/headers.hpp>
#include <weft/runtime/task.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace weft::http {

/// The protocol a response came over.
enum class http_version { unknown, http1_0, http1_1, http2, http3 };

/// "HTTP/1.1", "HTTP/2", ... ("unknown" for unknown).
[[nodiscard]] std::string_view to_string(http_version v) noexcept;

/// Where a request's time went, each measured from its start (libcurl's *_TIME_T infos).
struct timings {
    /// Name resolved.
    std::chrono::microseconds name_lookup{0};
    /// TCP connection made (zero on a reused connection).
    std::chrono::microseconds connect{0};
    /// TLS handshake done (zero for plain HTTP and reused connections).
    std::chrono::microseconds tls{0};
    /// First byte of the response received.
    std::chrono::microseconds first_byte{0};
    /// Whole transfer, redirects included.
    std::chrono::microseconds total{0};
};

/// A complete response: the last one of a redirect chain.
struct response {
    /// Status code, e.g. 200.
    int status = 0;
    /// Header fields of the final response (case-insensitive lookup).
    http::headers headers;
    /// The body, decoded (chunked transfer coding, gzip/deflate/br/zstd content codings undone);
    /// empty when the client's keep_body is false.
    std::string body;
    /// Bytes of decoded body received (body.size(), or what was counted and dropped when the
    /// client's keep_body is false).
    std::size_t body_bytes = 0;
    /// The URL that answered, after redirects.
    std::string url;
    /// The protocol of the final response.
    http_version version = http_version::unknown;
    /// Redirects followed.
    int redirects = 0;
    /// New connections this request opened (0 when it reused a pooled one).
    long new_connections = 0;
    /// Where the time went.
    http::timings timings;

    /// Whether the status is 2xx.
    [[nodiscard]] bool ok() const noexcept { return status >= 200 && status < 300; }

    /// @throws status_error for a 4xx or 5xx status.
    void raise_for_status() const;
};

/// How a client connects; every limit is per loop (each loop has its own pool).
struct client_options {
    /// Limit for the TCP (and TLS) connection to be made; 0 = libcurl's default (300 s).
    std::chrono::milliseconds connect_timeout{30'000};
    /// Limit for a whole request, redirects included; 0 = none.
    std::chrono::milliseconds timeout{0};
    /// Redirects followed before too_many_redirects; 0 = do not follow (a 3xx is returned).
    int max_redirects = 10;
    /// Connections open at once to one host (CURLMOPT_MAX_HOST_CONNECTIONS); 0 = no limit.
    /// Requests beyond it wait for a free connection.
    std::size_t max_connections_per_host = 0;
    /// Connections open at once in all (CURLMOPT_MAX_TOTAL_CONNECTIONS), which bounds the
    /// requests in flight; 0 = no limit. Requests beyond it wait for a free connection. Idle
    /// connections kept for reuse: as many, or 100 when 0.
    std::size_t max_connections = 0;
    /// The User-Agent header; empty = "weft/<version>".
    std::string user_agent{};
    /// Use the proxy named by http_proxy/https_proxy/all_proxy/no_proxy (libcurl's default, which
    /// reads them at each request); when none of them is set as the client is made, it never
    /// uses one (no look-up per request); false = never use a proxy.
    bool proxy_from_environment = true;
    /// Verify the server's certificate and host name. Turn off only for tests.
    bool verify_tls = true;
    /// A PEM file of trusted CA certificates instead of the system's; empty = system store.
    std::string ca_file{};
    /// Ask for compressed bodies (Accept-Encoding: every content coding libcurl decodes, e.g.
    /// gzip, deflate, br, zstd) and decode them; false = send no Accept-Encoding and return the
    /// body as the server sent it. Costs about 10% of the client's CPU per small request.
    bool decompress = true;
    /// Ask for HTTP/2 over TLS (ALPN), falling back to HTTP/1.1; plain http stays HTTP/1.1.
    bool http2 = true;
    /// Largest response body accepted, counted after decoding (so a small compressed "bomb"
    /// cannot expand into gigabytes); 0 = no limit. A body that grows past it aborts the transfer
    /// at once with response_too_large.
    std::size_t max_response_bytes = std::size_t{256} << 20;
    /// Largest response head accepted: the status lines and header fields of every response of a
    /// request together (redirects and 1xx responses included); 0 = no limit of weft's own.
    /// Crossing it aborts the transfer with headers_too_large. libcurl itself refuses a header
    /// line over 100 KiB and heads over 300 KiB (also reported as headers_too_large).
    std::size_t max_header_bytes = std::size_t{64} << 10;
    /// Keep response bodies; false = count their bytes (response::body_bytes) and drop them as
    /// they arrive, for a client that measures rather than reads (weft fetch, load generators):
    /// its memory stays flat whatever the bodies' size.
    bool keep_body = true;
};

namespace detail {
class client_state;
} // namespace detail

/// An HTTP client with a keep-alive connection pool per loop (aiohttp's ClientSession). Requests
/// may be awaited from any loop, concurrently; a client must outlive the requests it started
/// (destroying it fails those still in flight with client_error). Cancelling an awaiting task, or
/// wait_for() running out, aborts the transfer and closes its connection.
///
/// A response is bounded in size (max_response_bytes, max_header_bytes) and, with a timeout, in
/// time, decoding included: a transfer hands at most a few MiB of body to the client per loop
/// step, then yields the loop (it pauses and resumes on the next turn), so a fast or
/// highly-compressed body cannot hold its loop for long.
class client {
public:
    using options = client_options;

    /// A client with default options.
    client();
    /// A client with the given options.
    explicit client(options opts);
    client(client&&) noexcept;
    client& operator=(client&&) noexcept;
    client(const client&) = delete;
    client& operator=(const client&) = delete;
    /// Closes this client's connections (on the current runtime's loops).
    ~client();

    /// GET url.
    /// @throws client_error (one of its subclasses) when no response arrives; a 4xx/5xx response
    /// is returned, not thrown (see response::raise_for_status).
    [[nodiscard]] task<response> get(std::string url, http::headers hdrs = {}) const;

    /// Any method ("GET", "POST", "PUT", "DELETE", "HEAD", ...) with request headers and body.
    /// @throws client_error (one of its subclasses) when no response arrives.
    [[nodiscard]] task<response> request(std::string method, std::string url,
                                         http::headers hdrs = {}, std::string body = {}) const;

    /// The options it was made with.
    [[nodiscard]] const options& opts() const noexcept;

private:
    std::shared_ptr<detail::client_state> state_;
};

/// GET url through the runtime's shared default client (one-offs: `co_await weft::http::get(u)`).
/// @throws client_error (one of its subclasses) when no response arrives.
[[nodiscard]] task<response> get(std::string url);

} // namespace weft::http
