// weft::metrics (metrics.hpp): the application's registry, the exports of executors and servers,
// and the text exposition that gathers weft's families (loops, default executor, exported
// sources) before the registry's and serialises them with prometheus-cpp's TextSerializer.
#include "family_set.hpp"
#include "sources.hpp"
#include "stats_families.hpp"

#include <weft/net/metrics.hpp>

#include <weft/executors/run_in_executor.hpp>
#include <weft/net/http/server.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/stats.hpp>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <utility>

namespace weft::metrics {

std::shared_ptr<prometheus::Registry> registry() {
    static const auto r = std::make_shared<prometheus::Registry>();
    return r;
}

namespace detail {

exported export_executor_stats(std::string name, std::function<executor_stats()> read) {
    if (name == "default") {
        throw error("metrics: the executor name \"default\" is the runtime's default executor");
    }
    std::string label = name;
    return exported(add_source("executor", std::move(name),
                               [label = std::move(label), read = std::move(read)](family_set& out) {
                                   add_executor(out, label, read());
                               }));
}

} // namespace detail

exported export_server(const http::server& srv, std::string name) {
    std::string label = name;
    return exported(detail::add_source("server", std::move(name),
                                       [label = std::move(label), &srv](detail::family_set& out) {
                                           detail::add_server(out, label, srv.stats());
                                       }));
}

std::string text() {
    detail::family_set set;
    if (weft::detail::current_loop_ptr() != nullptr) {
        for (const loop_stats& s : runtime_stats()) {
            detail::add_loop(set, s);
        }
        detail::add_executor(set, "default", default_executor_stats());
    }
    detail::collect_sources(set);
    std::vector<prometheus::MetricFamily> families = set.take();
    for (prometheus::MetricFamily& f : registry()->Collect()) {
        families.push_back(std::move(f));
    }
    return prometheus::TextSerializer().Serialize(families);
}

} // namespace weft::metrics
