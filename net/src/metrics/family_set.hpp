#pragma once

// Private: the metric families of one scrape, built from weft's counters. Sources of the same
// kind (every exported executor, say) add samples to one family each, since a family's name may
// appear only once in the exposition.

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace weft::metrics::detail {

using labels = std::vector<prometheus::ClientMetric::Label>;

class family_set {
public:
    void counter(std::string_view name, std::string_view help, labels l, double value);
    void gauge(std::string_view name, std::string_view help, labels l, double value);
    /// A histogram sample: counts[i] observations fell at or below bounds[i] and above
    /// bounds[i - 1]; counts has one more entry than bounds (above the last bound: +Inf).
    void histogram(std::string_view name, std::string_view help, labels l,
                   std::span<const double> bounds, std::span<const std::uint64_t> counts,
                   double sum);

    /// The families, in the order they were first named.
    [[nodiscard]] std::vector<prometheus::MetricFamily> take() { return std::move(families_); }

private:
    prometheus::ClientMetric& add(std::string_view name, std::string_view help,
                                  prometheus::MetricType type, labels l);

    std::vector<prometheus::MetricFamily> families_;
    std::unordered_map<std::string, std::size_t> index_;
};

} // namespace weft::metrics::detail
