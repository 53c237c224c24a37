#pragma once

#include <weft/net/http/middleware.hpp>
#include <weft/net/http/request.hpp>
#include <weft/net/http/server_response.hpp>
#include <weft/net/http/static_files.hpp>
#include <weft/net/tls.hpp>
#include <weft/runtime/clock.hpp>
#include <weft/runtime/task.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::http {

/// A route's handler: runs on the loop of the connection the request came in on. A blocking call
/// inside it goes through `co_await weft::to_thread(...)` so that the loop keeps serving.
using handler = std::function<task<server_response>(request&)>;

/// How the access log writes a line (server_options::access_log).
enum class access_log_format : std::uint8_t {
    /// `127.0.0.1:53122 "GET /items/7 HTTP/1.1" 200 12 0.081ms`: peer, request line, status,
    /// body bytes sent, duration.
    text,
    /// One JSON object a line: remote, method, target, version, route, status, bytes,
    /// duration_ms, user_agent (strings escaped; invalid UTF-8 becomes U+FFFD).
    json,
};

/// How a server behaves; the defaults suit a public-facing server.
struct server_options {
    /// Longest request line: beyond it the server answers 414 and closes.
    std::size_t max_request_line = 8 * 1024;
    /// Largest request head (request line and header fields): beyond it, 431 and close.
    std::size_t max_header_bytes = 64 * 1024;
    /// Most header fields in a request: beyond it, 431 and close.
    std::size_t max_headers = 100;
    /// Largest request body (Content-Length or chunked): beyond it, 413 and close.
    std::uint64_t max_body_size = 8 * 1024 * 1024;
    /// How long a keep-alive connection may stay idle between requests before it is closed.
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
    /// How long a request head may take to arrive once it started: beyond it, 408 and close
    /// (slowloris).
    std::chrono::milliseconds header_timeout{std::chrono::seconds(10)};
    /// How long the server waits for each read of a request body: beyond it, 408 and close.
    std::chrono::milliseconds body_timeout{std::chrono::seconds(30)};
    /// How long a response write (head, in-memory or streamed body) may make no progress: no
    /// byte handed to the kernel, none of the kernel's queued bytes taken by the client (it does
    /// not read). Checked every send_timeout / 2; two checks in a row without progress reset the
    /// connection (a client that never reads is reset send_timeout after the write stalled, one
    /// that stops reading within 1.5 x send_timeout), which also frees the kernel's send buffer.
    /// Counted in stats().send_timeouts.
    std::chrono::milliseconds send_timeout{std::chrono::seconds(60)};
    /// Requests served on one connection before it is closed (0: no limit).
    std::size_t max_requests_per_connection = 0;
    /// Event loops that accept connections, one SO_REUSEPORT acceptor each (0: every loop of
    /// the runtime). A connection stays on the loop that accepted it.
    std::size_t loops = 0;
    /// Listen backlog of each acceptor.
    int backlog = 1024;
    /// Request body memory held at once by the whole server (all its loops and connections
    /// together; stats().buffered_bytes). A body's buffer grows with the bytes that arrive:
    /// 64 KiB first (less for a shorter Content-Length), then doubling, never past the announced
    /// length; a connection keeps one of up to 16 KiB for its next request. A body whose buffer
    /// must grow past what is left is answered 503 with `Connection: close` (before any
    /// 100 Continue when its first part does not fit) and stats().over_budget counts it. The
    /// default holds 32 bodies of the default max_body_size; keep it at least max_body_size, or
    /// bodies that large always get 503. SIZE_MAX: no limit.
    std::size_t max_buffered_bytes = 256 * 1024 * 1024;
    /// Most connections open at once, over all loops; beyond it, new ones wait in the kernel's
    /// backlog until one closes. 0 (the default): derived from the process's file descriptor
    /// limit at listen(): the soft RLIMIT_NOFILE less a reserve for other files (1/16 of it, at
    /// least 32), at least 1 (see default_max_connections()). SIZE_MAX: no limit.
    std::size_t max_connections = 0;
    /// The Server header (empty: none).
    std::string server_name = "weft";
    /// The access log's line format: one line per response on the "weft.http" logger at info
    /// level, written only when that level is enabled (nothing formatted otherwise).
    access_log_format access_log = access_log_format::text;
    /// File bodies (server_response::file(), static_files()) over 16 KiB go out with
    /// sendfile(2) where the connection allows it (smaller ones are read and written with the
    /// head, in one write); false: always read into a 64 KiB buffer and written, as on TLS.
    bool use_sendfile = true;
    /// Serve HTTPS: see net::server_options::tls (handshake before the first request, bounded by
    /// handshake_timeout; failures counted in stats().tls_handshake_failures). None by default.
    std::optional<net::tls_options> tls{};
};

/// How server::route_metrics() exports a server.
struct metrics_options {
    /// The value of the label server="..." on this server's families.
    std::string server_label = "http";
    /// Record each request's duration (from its head to the end of its response) in
    /// weft_http_request_duration_seconds{server, route, method, code}: route is the matched
    /// pattern ("(none)" for a 404), method one of the standard methods or "other".
    bool route_durations = true;
    /// The duration histogram's bucket upper bounds, in seconds (finite, positive, ascending).
    std::vector<double> buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                   0.1,    0.25,  0.5,    1,     2.5,  5,     10};
};

/// Counters of a server since it started listening.
struct server_stats {
    std::uint64_t connections_open = 0;       ///< connections being served now
    std::uint64_t connections_total = 0;      ///< connections accepted
    std::uint64_t requests = 0;               ///< responses sent (errors included)
    std::uint64_t bad_requests = 0;           ///< 400, 417, 505: malformed requests
    std::uint64_t too_large = 0;              ///< 413, 414, 431: limits exceeded
    std::uint64_t not_implemented = 0;        ///< 501: unsupported transfer codings
    std::uint64_t timeouts = 0;               ///< 408 sent, or an idle connection closed
    std::uint64_t not_found = 0;              ///< 404 from the router
    std::uint64_t method_not_allowed = 0;     ///< 405 from the router
    std::uint64_t handler_errors = 0;         ///< 500: a handler or middleware threw
    std::uint64_t io_errors = 0;              ///< connections ended by a reset or a failed write
    std::uint64_t send_timeouts = 0;          ///< connections reset: a response write stalled
    std::uint64_t over_budget = 0;            ///< 503: max_buffered_bytes reached
    std::uint64_t buffered_bytes = 0;         ///< request body bytes buffered now (all connections)
    std::uint64_t tls_handshake_failures = 0; ///< TLS handshakes that failed or timed out
};

/// The max_connections used when server_options::max_connections is 0: the soft RLIMIT_NOFILE
/// less a reserve of 1/16 of it (at least 32) for the process's other descriptors, at least 1,
/// and at most 1,048,576 (an unlimited descriptor limit).
[[nodiscard]] std::size_t default_max_connections() noexcept;

/// An HTTP/1.1 server on the runtime's loops: one acceptor per loop, each connection served by a
/// task on the loop that accepted it (keep-alive, pipelining, chunked bodies, Expect:
/// 100-continue, HEAD). Routes are added before listen(); the server must outlive its serving
/// (close() and wait_closed() before destroying it). Middleware (use()) runs around every
/// request's dispatch; on_not_found(), on_method_not_allowed() and on_error() replace the plain
/// 404, 405 and 500 answers. Access log: the "weft.http" logger at info level (off by default;
/// WEFT_LOG_LEVEL=info or spdlog::get("weft.http")->set_level()), text or JSON lines
/// (server_options::access_log).
/// Fairness: a connection's task yields to its loop after 32 requests answered or 64 KiB of
/// request body read or streamed body written without waiting for its socket in between (a
/// client that pipelines without pause, a producer whose writes all find room at once).
///
///     weft::http::server srv;
///     srv.route("GET", "/items/{id}", [](weft::http::request& req) ->
///     weft::task<weft::http::server_response> {
///         co_return weft::http::server_response::text("item " + std::string(req.param("id")));
///     });
///     co_await srv.listen("127.0.0.1", 8080);
class server {
public:
    /// A server with no routes (everything answers 404).
    explicit server(server_options opts = {});
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    /// Stops accepting; connections still open end on their own loops.
    ~server();

    /// Adds a route: method ("GET", "POST"...) and a path pattern of literal segments and
    /// `{name}` parameters ("/items/{id}"), and optionally a last `{name...}` segment that takes
    /// the rest of the path, slashes included, possibly empty ("/files/{path...}"), matched
    /// segment by segment in the order added. A GET
    /// route also answers HEAD. A path that matches no route gets 404; one that matches only with
    /// other methods gets 405 with an Allow header.
    /// @throws weft::error for a pattern that does not start with '/' or has a malformed
    /// parameter, or when the server is already listening.
    server& route(std::string_view method, std::string_view pattern, handler h);

    /// Adds a middleware around every request's dispatch, routing included (a 404 or 405 passes
    /// through it; a request the parser refuses, 400 or 413, does not): the first added is the
    /// outermost. One that throws is answered as a handler that throws (500, or on_error()).
    /// @throws weft::error for an empty middleware, or when the server is already listening.
    server& use(middleware m);

    /// Answers requests whose path matches no route (instead of a plain 404; stats().not_found
    /// still counts them). The response is sent as returned.
    /// @throws weft::error when the server is already listening.
    server& on_not_found(handler h);

    /// Answers requests whose path matches routes of other methods only (instead of a plain 405;
    /// stats().method_not_allowed still counts them); the server sets the Allow header.
    /// @throws weft::error when the server is already listening.
    server& on_method_not_allowed(method_not_allowed_handler h);

    /// Answers requests whose handler or middleware threw (instead of a plain 500;
    /// stats().handler_errors still counts them). If h throws too, the plain 500 is sent.
    /// @throws weft::error when the server is already listening.
    server& on_error(error_handler h);

    /// Serves weft::metrics::text() (Prometheus's text format) at `GET path`: the runtime's loops,
    /// the default executor, exported executors and servers, the application's own metrics in
    /// weft::metrics::registry(), and this server's counters and per-route request durations
    /// (see metrics_options). Call it before listen(), once.
    /// @throws weft::error when listening already, when called twice, or for a bad option.
    server& route_metrics(std::string_view path = "/metrics", metrics_options opts = {});
    /// Serves the files under dir for GET and HEAD at every path under prefix ("/assets":
    /// "/assets/css/site.css" is dir/css/site.css), as a route "prefix/{path...}" (other methods:
    /// 405). Types by extension, ETag and Last-Modified, 304, single byte ranges, bodies sent
    /// with sendfile(2); no path leaves dir ("..", encoded slashes, links out of it: 404), no
    /// directory listing, no dotfile unless opts.serve_hidden (docs/static-files.md).
    /// @throws weft::error for a prefix that does not start with '/', a dir that is not a
    /// directory, or when the server is already listening.
    server& static_files(std::string_view prefix, const std::string& dir,
                         static_files_options opts = {});

    /// Binds host:port (port 0: any free port, see port()) on every serving loop and starts
    /// accepting; returns once listening. Call it from a task of the runtime.
    /// @throws weft::net::error when the address cannot be bound; weft::error when already
    /// listening.
    [[nodiscard]] task<void> listen(std::string host, std::uint16_t port);

    /// listen(), then waits until the server is closed and its connections have ended.
    [[nodiscard]] task<void> serve(std::string host, std::uint16_t port);

    /// The bound port (after listen()).
    [[nodiscard]] std::uint16_t port() const noexcept;

    /// Stops accepting and closes idle keep-alive connections; a request in progress is finished
    /// and answered with `Connection: close`. Idempotent, callable from any thread.
    void close();

    /// Waits until every connection has ended; those still open after grace are cancelled.
    [[nodiscard]] task<void>
    wait_closed(std::optional<clock::duration> grace = std::chrono::seconds(5));

    /// A snapshot of the counters.
    [[nodiscard]] server_stats stats() const noexcept;

    /// Re-reads the TLS files (server_options::tls) into a new context for new handshakes;
    /// connections already open keep theirs. Callable from any thread, after listen().
    /// @throws net::tls_error when a file is bad (the old context stays in use); weft::error when
    /// the server does not listen with TLS.
    void reload_tls();

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

} // namespace weft::http
