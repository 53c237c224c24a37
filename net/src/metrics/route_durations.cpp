// A server's request-duration histograms (route_durations.hpp): per-loop shards, added up at
// scrape time.
#include "route_durations.hpp"

#include <weft/runtime/error.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <utility>

namespace weft::metrics::detail {

namespace {

constexpr std::array<std::string_view, 9> known_methods = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"};

std::string_view method_label(std::string_view m) {
    for (std::string_view k : known_methods) {
        if (m == k) {
            return k;
        }
    }
    return "other";
}

} // namespace

route_durations::route_durations(std::string server_label, std::vector<double> bounds,
                                 std::size_t shards)
    : server_(std::move(server_label)), bounds_(checked_bounds(std::move(bounds))),
      shards_(std::make_unique<shard[]>(std::max<std::size_t>(shards, 1))),
      shard_count_(std::max<std::size_t>(shards, 1)) {}

std::vector<double> route_durations::checked_bounds(std::vector<double> bounds) {
    for (std::size_t i = 0; i < bounds.size(); ++i) {
        if (!std::isfinite(bounds[i]) || bounds[i] <= 0 || (i > 0 && bounds[i] <= bounds[i - 1])) {
            throw error("metrics: histogram bucket bounds must be finite, positive and ascending");
        }
    }
    return bounds;
}

void route_durations::record(std::size_t loop_id, std::string_view route, std::string_view method,
                             int status, double seconds) {
    thread_local std::string key; // reused: no allocation per request
    key.clear();
    key.append(route.empty() ? std::string_view("(none)") : route);
    key.push_back('\0');
    key.append(method_label(method));
    key.push_back('\0');
    key.append(std::to_string(std::clamp(status, 100, 599)));
    const std::size_t b =
        std::upper_bound(bounds_.begin(), bounds_.end(), seconds, std::less_equal<>()) -
        bounds_.begin();
    shard& s = shards_[loop_id % shard_count_];
    std::lock_guard lock(s.mu);
    auto it = s.cells.find(std::string_view(key));
    if (it == s.cells.end()) {
        it = s.cells.emplace(key, cell{std::vector<std::uint64_t>(bounds_.size() + 1, 0), 0}).first;
    }
    cell& c = it->second;
    ++c.counts[b];
    c.sum += seconds;
}

void route_durations::collect(family_set& out) const {
    std::map<std::string, cell> total; // sorted: a stable order from scrape to scrape
    for (std::size_t i = 0; i < shard_count_; ++i) {
        std::lock_guard lock(shards_[i].mu);
        for (const auto& [key, c] : shards_[i].cells) {
            cell& t = total[key];
            if (t.counts.empty()) {
                t.counts.assign(bounds_.size() + 1, 0);
            }
            for (std::size_t j = 0; j < c.counts.size(); ++j) {
                t.counts[j] += c.counts[j];
            }
            t.sum += c.sum;
        }
    }
    for (const auto& [key, c] : total) {
        const std::size_t a = key.find('\0');
        const std::size_t b = key.find('\0', a + 1);
        labels l{{"server", server_},
                 {"route", key.substr(0, a)},
                 {"method", key.substr(a + 1, b - a - 1)},
                 {"code", key.substr(b + 1)}};
        out.histogram("weft_http_request_duration_seconds",
                      "Time from a request's head to the end of its response, by route.",
                      std::move(l), bounds_, c.counts, c.sum);
    }
}

} // namespace weft::metrics::detail
