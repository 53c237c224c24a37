#pragma once

#include <weft/net/address.hpp>
#include <weft/net/connection.hpp>
#include <weft/net/stream.hpp>
#include <weft/net/tls.hpp>
#include <weft/runtime/clock.hpp>
#include <weft/runtime/task.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft::net {

/// How start_server listens.
struct server_options {
    /// Length of each listening socket's accept queue.
    int backlog = 1024;
    /// Connections served at once, over all loops (0: no limit). At the limit the server stops
    /// accepting: new connections wait in the kernel's backlog until a handler finishes. Once the
    /// backlog is full too, Linux drops further connection attempts (the client's connect keeps
    /// retrying until its own timeout; no refusal, unless net.ipv4.tcp_abort_on_overflow is 1).
    std::size_t max_connections = 0;
    /// How many loops accept (0: every loop of the runtime). Each gets its own SO_REUSEPORT
    /// listening socket on the same port, and each connection lives on the loop that accepted it.
    /// A stand-alone loop, and a Unix-socket server, accept on the calling loop only.
    std::size_t loops = 0;
    /// SO_REUSEADDR on the listening sockets.
    bool reuse_address = true;
    /// Listen on this Unix-domain socket path instead of host:port (an existing socket file there
    /// is replaced; the file is removed by close()).
    std::string unix_path;
    /// Serve TLS: each accepted connection's handshake is done (within handshake_timeout) before
    /// the handler is called; a failed or timed-out handshake closes the connection and counts in
    /// stats().tls_handshake_failures (logged at debug level only). The certificate chain and key
    /// are required. None by default (plain TCP).
    std::optional<tls_options> tls{};
    /// With tls: what the server writes, unencrypted, to a peer whose handshake failed because it
    /// sent a plain HTTP request, before closing (nginx answers 400). Empty (the default): the
    /// connection is just closed. weft's HTTP server sets a 400 response here.
    std::string plain_http_reply{};
};

/// A server's counters.
struct server_stats {
    std::size_t open = 0;     ///< connections whose handler still runs
    std::size_t accepted = 0; ///< connections accepted since the start
    std::size_t refused = 0;  ///< accepts that failed for lack of resources (EMFILE, ENOBUFS...)
    std::size_t tls_handshake_failures = 0; ///< TLS handshakes that failed or timed out
};

/// What start_server calls for each connection: the raw connection form.
using connection_handler = std::function<task<void>(connection)>;

namespace detail {
struct server_state;
} // namespace detail

/// A listening server (asyncio.Server). Destroying it closes it (stops accepting); handlers still
/// running go on until they finish, wait_closed() ends them, or their loop shuts down.
class server {
public:
    server() noexcept;
    explicit server(std::shared_ptr<detail::server_state> s) noexcept;
    server(server&&) noexcept;
    server& operator=(server&&) noexcept;
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    ~server();

    /// The port the server listens on (the one the system chose when asked for port 0); 0 for a
    /// Unix-socket server.
    [[nodiscard]] std::uint16_t port() const noexcept;

    /// The addresses it listens on (one per accepting loop: the same address and port).
    [[nodiscard]] std::vector<endpoint> endpoints() const;

    /// Whether it still accepts connections.
    [[nodiscard]] bool is_serving() const noexcept;

    /// Stops accepting: the listening sockets close (connections waiting in the backlog are
    /// reset). Handlers already running go on. Idempotent; safe from any thread.
    void close() noexcept;

    /// Closes the server and waits until every handler has finished. With a grace period,
    /// handlers still running when it ends are cancelled (and awaited).
    /// @throws cancelled_error when the waiting task is cancelled.
    [[nodiscard]] task<void> wait_closed(std::optional<clock::duration> grace = std::nullopt);

    /// Counters: open, accepted, refused, TLS handshake failures. Safe from any thread.
    [[nodiscard]] server_stats stats() const noexcept;

    /// Re-reads the TLS certificate chain, key and CA files of server_options::tls into a new
    /// context that new handshakes use from then on; connections already open keep theirs. Safe
    /// from any thread.
    /// @throws tls_error when a file cannot be read or the key does not match (the old context
    /// stays in use); invalid_state_error when the server does not serve TLS.
    void reload_tls();

private:
    std::shared_ptr<detail::server_state> s_;
};

namespace detail {

task<server> start_server_impl(std::shared_ptr<const connection_handler> handler, std::string host,
                               std::uint16_t port, server_options opts);

template <class H>
task<void> run_stream_handler(const H& h, connection c) {
    auto [reader, writer] = make_streams(std::move(c));
    co_await h(std::move(reader), std::move(writer));
}

} // namespace detail

/// Starts a server listening on host:port (or on options.unix_path) and returns it once it
/// listens (asyncio.start_server). handler is called for each connection, as a task on the loop
/// that accepted it, either as `task<void>(connection)` (the raw connection) or as
/// `task<void>(stream_reader, stream_writer)` (asyncio's streams). It is called concurrently on
/// every accepting loop: it must be safe to call from several threads. An exception escaping it
/// is logged ("weft.net") and closes that connection only. Port 0 picks a free port: see
/// server::port(). Accepted TCP connections have TCP_NODELAY on.
/// @throws net::error when the address cannot be bound; resolve_error for an unknown host name.
template <class H>
[[nodiscard]] task<server> start_server(H handler, std::string host, std::uint16_t port,
                                        server_options opts) {
    if constexpr (std::is_invocable_r_v<task<void>, const H&, connection>) {
        return detail::start_server_impl(
            std::make_shared<const connection_handler>(std::move(handler)), std::move(host), port,
            std::move(opts));
    } else {
        static_assert(std::is_invocable_r_v<task<void>, const H&, stream_reader, stream_writer>,
                      "start_server's handler must be callable as task<void>(connection) or as "
                      "task<void>(stream_reader, stream_writer), and const-callable");
        return detail::start_server_impl(
            std::make_shared<const connection_handler>([h = std::move(handler)](connection c) {
                return detail::run_stream_handler(h, std::move(c));
            }),
            std::move(host), port, std::move(opts));
    }
}

/// start_server with default options. (An overload rather than a default argument: g++ 12
/// miscompiles a defaulted class argument with a std::string member in a co_await expression.)
template <class H>
[[nodiscard]] task<server> start_server(H handler, std::string host, std::uint16_t port) {
    return start_server(std::move(handler), std::move(host), port, server_options{});
}

} // namespace weft::net
