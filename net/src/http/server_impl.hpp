#pragma once

// What a weft::http::server shares with its connections (server::impl): the options, the parser
// limits and the routes, read-only once the server listens; the close flag and promise; the
// connection registry; the statistics counters and the server-wide request body budget. Each
// connection's session holds a reference to it (and the connection task a shared_ptr), so it
// outlives the server object while connections still run.
//
// Thread safety: every loop reads the options and routes without a lock (nothing changes them
// after listen()); the flags and counters are atomics; the registry has its own mutex.

#include "connection_registry.hpp"
#include "counter.hpp"
#include "parser.hpp"
#include "pipeline.hpp"
#include "router.hpp"

#include <weft/net/connection.hpp>
#include <weft/net/http/server.hpp>
#include <weft/net/metrics.hpp>
#include <weft/net/server.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/log.hpp>

#include <spdlog/logger.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

// Private to libweft: hidden from its exported symbols, so that calls to it are direct (no PLT)
// and may be inlined. server::impl, declared in the public header, says so itself: the pragma
// does not reach a class declared before it.
#pragma GCC visibility push(hidden)

namespace weft::metrics::detail {
class route_durations;
} // namespace weft::metrics::detail

namespace weft::http {

namespace detail {

/// The server's logger, "weft.http".
inline spdlog::logger& http_log() {
    static spdlog::logger& l = weft::log::get("weft.http");
    return l;
}

} // namespace detail

struct [[gnu::visibility("hidden")]] server::impl : std::enable_shared_from_this<server::impl> {
    explicit impl(server_options o) : opts(std::move(o)) {
        if (!opts.server_name.empty()) {
            server_line = "Server: " + opts.server_name + "\r\n";
        }
        limits.max_request_line = opts.max_request_line;
        limits.max_header_bytes = opts.max_header_bytes;
        limits.max_headers = opts.max_headers;
        limits.max_body_size = opts.max_body_size;
    }

    server_options opts;
    std::string server_line; // "Server: weft\r\n", or empty
    detail::parser_limits limits;
    detail::router routes;
    detail::pipeline pipeline; // middleware and error pages (server::use(), on_error()...)
    std::optional<net::server> tcp;
    std::atomic<bool> listening{false};
    std::atomic<bool> closing{false};
    promise<void> closed_promise;
    future<void> closed_future = closed_promise.get_future();

    detail::connection_registry connections;

    // route_metrics(): this server's export, and the durations it records (null: none).
    metrics::exported metrics_export;
    std::shared_ptr<metrics::detail::route_durations> durations;

    detail::counter connections_open, connections_total, bad_requests, too_large, not_implemented,
        timeouts, not_found, method_not_allowed, handler_errors, io_errors, send_timeouts,
        over_budget;
    detail::counter buffered; // request body bytes held now, over all loops (max_buffered_bytes)

    // Takes n bytes of the body budget; false (nothing taken) when they do not fit.
    bool charge(std::size_t n) noexcept {
        const std::uint64_t before = buffered.v.fetch_add(n, std::memory_order_relaxed);
        if (before + n > opts.max_buffered_bytes) {
            buffered.sub(n);
            return false;
        }
        return true;
    }

    void count_error_status(int status) noexcept {
        switch (status) {
        case 413:
        case 414:
        case 431:
            too_large.add();
            break;
        case 501:
            not_implemented.add();
            break;
        case 408:
            timeouts.add();
            break;
        case 503:
            over_budget.add();
            break;
        default:
            bad_requests.add();
            break;
        }
    }

    static task<void> serve_connection(std::shared_ptr<impl> self, net::connection conn);
};

} // namespace weft::http

#pragma GCC visibility pop
