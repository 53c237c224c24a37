#pragma once

#include <weft/executors/executor.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace prometheus {
class Registry;
} // namespace prometheus

namespace weft::http {
class server;
} // namespace weft::http

/// weft's counters in Prometheus's text exposition format (version 0.0.4): the loops of the
/// runtime, the default executor and the executors and HTTP servers an application exports, each
/// HTTP route's request durations, and whatever the application adds to registry(). The values are
/// read when the text is made (a scrape), from the counters weft keeps anyway: nothing is counted
/// twice. `weft::http::server::route_metrics("/metrics")` serves it.
namespace weft::metrics {

/// The Prometheus media type of text().
inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

/// The process's registry for the application's own metrics (prometheus-cpp's builders: include
/// <prometheus/counter.h> and friends, link prometheus-cpp-core, which weft's pkg-config file and
/// meson dependency bring). text() serialises it after weft's own families. Names starting with
/// `weft_` are weft's.
[[nodiscard]] std::shared_ptr<prometheus::Registry> registry();

/// Something text() reads while a handle of this type lives (an exported executor or server).
/// Destroying the handle (or reset()) stops the export; it waits for a scrape reading it to end.
class exported {
public:
    exported() noexcept = default;
    exported(exported&& o) noexcept : id_(o.id_) { o.id_ = 0; }
    exported& operator=(exported&& o) noexcept;
    exported(const exported&) = delete;
    exported& operator=(const exported&) = delete;
    ~exported() { reset(); }

    /// Stops the export now. Idempotent.
    void reset() noexcept;

    /// Whether it exports something.
    [[nodiscard]] explicit operator bool() const noexcept { return id_ != 0; }

    /// Weft's own use: a handle for a registered source.
    explicit exported(std::uint64_t id) noexcept : id_(id) {}

private:
    std::uint64_t id_ = 0;
};

namespace detail {
/// Registers a reader of an executor's counters under the label executor=name.
/// @throws weft::error when name is empty or already exported.
[[nodiscard]] exported export_executor_stats(std::string name,
                                             std::function<executor_stats()> read);
} // namespace detail

/// Exports an executor's counters (weft_executor_* families, label executor=name) while the
/// handle lives; the executor must outlive the handle. The runtime's default executor is always
/// exported, as executor="default".
/// @throws weft::error when name is empty, "default", or already exported.
template <executor E>
[[nodiscard]] exported export_executor(const E& ex, std::string name) {
    return detail::export_executor_stats(std::move(name), [&ex] { return ex.stats(); });
}

/// Exports an HTTP server's counters (weft_http_* families, label server=name) while the handle
/// lives; the server must outlive the handle. route_metrics() exports its own server.
/// @throws weft::error when name is empty or already exported.
[[nodiscard]] exported export_server(const http::server& srv, std::string name);

/// The text exposition of everything exported: per loop of the calling task's runtime (none when
/// called outside a loop), the runtime's default executor (made now if it was not yet), each
/// exported executor and server, each route's request durations, then registry()'s families.
[[nodiscard]] std::string text();

} // namespace weft::metrics
