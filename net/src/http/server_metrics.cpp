// server::route_metrics() (server.hpp): the GET route that serves weft::metrics::text(), this
// server's counters exported under its label, and the per-route duration histograms the sessions
// record into (session.cpp, after each response).
#include <weft/net/http/server.hpp>

#include "../metrics/route_durations.hpp"
#include "../metrics/sources.hpp"
#include "../metrics/stats_families.hpp"
#include "server_impl.hpp"

#include <weft/net/metrics.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/loop.hpp>

#include <memory>
#include <string>
#include <thread>
#include <utility>

namespace weft::http {

server& server::route_metrics(std::string_view path, metrics_options opts) {
    if (impl_->listening.load()) {
        throw weft::error("weft::http::server::route_metrics: call it before listen()");
    }
    if (impl_->metrics_export) {
        throw weft::error("weft::http::server::route_metrics: already called");
    }
    // Checked before anything is registered, so that a bad option leaves the server unchanged.
    std::vector<double> bounds =
        metrics::detail::route_durations::checked_bounds(std::move(opts.buckets));
    std::shared_ptr<metrics::detail::route_durations> durations;
    if (opts.route_durations) {
        // A shard per core: the runtime's default count of loops (more loops share shards).
        durations = std::make_shared<metrics::detail::route_durations>(
            opts.server_label, std::move(bounds), std::thread::hardware_concurrency());
    }
    std::string label = opts.server_label;
    metrics::exported exported(metrics::detail::add_source(
        "server", std::move(label),
        [label = opts.server_label, durations, owner = this](metrics::detail::family_set& out) {
            metrics::detail::add_server(out, label, owner->stats());
            if (durations) {
                durations->collect(out);
            }
        }));
    route("GET", path, [](request&) -> task<server_response> {
        co_return server_response(200, metrics::text(), metrics::content_type);
    });
    impl_->metrics_export = std::move(exported); // after route(): a throw there exports nothing
    impl_->durations = std::move(durations);
    return *this;
}

} // namespace weft::http
