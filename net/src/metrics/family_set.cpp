// The metric families of one scrape (family_set.hpp): a family per name, samples appended in the
// order sources add them.
#include "family_set.hpp"

#include <weft/runtime/error.hpp>

#include <limits>
#include <utility>

namespace weft::metrics::detail {

prometheus::ClientMetric& family_set::add(std::string_view name, std::string_view help,
                                          prometheus::MetricType type, labels l) {
    auto [it, fresh] = index_.try_emplace(std::string(name), families_.size());
    if (fresh) {
        prometheus::MetricFamily f;
        f.name = std::string(name);
        f.help = std::string(help);
        f.type = type;
        families_.push_back(std::move(f));
    }
    prometheus::MetricFamily& f = families_[it->second];
    if (f.type != type) {
        throw error("metrics: family " + f.name + " added with two types");
    }
    prometheus::ClientMetric& m = f.metric.emplace_back();
    m.label = std::move(l);
    return m;
}

void family_set::counter(std::string_view name, std::string_view help, labels l, double value) {
    add(name, help, prometheus::MetricType::Counter, std::move(l)).counter.value = value;
}

void family_set::gauge(std::string_view name, std::string_view help, labels l, double value) {
    add(name, help, prometheus::MetricType::Gauge, std::move(l)).gauge.value = value;
}

void family_set::histogram(std::string_view name, std::string_view help, labels l,
                           std::span<const double> bounds, std::span<const std::uint64_t> counts,
                           double sum) {
    prometheus::ClientMetric& m = add(name, help, prometheus::MetricType::Histogram, std::move(l));
    std::uint64_t cumulative = 0;
    m.histogram.bucket.reserve(counts.size());
    for (std::size_t i = 0; i < counts.size(); ++i) {
        cumulative += counts[i];
        m.histogram.bucket.push_back(
            {cumulative, i < bounds.size() ? bounds[i] : std::numeric_limits<double>::infinity()});
    }
    m.histogram.sample_count = cumulative;
    m.histogram.sample_sum = sum;
}

} // namespace weft::metrics::detail
