#pragma once

// Private: a server's request-duration histograms by route, method and status, recorded by the
// loops that serve its connections and read by scrapes. Each loop records into a shard of its
// own (a plain map under a mutex only that loop and a scrape take, so recording never waits on
// another core), and a scrape adds the shards up. The label values are bounded whatever clients
// send: a route is one of the server's patterns (or "(none)"), a method one of the standard ones
// (or "other"), a status one of 100-599.

#include "family_set.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace weft::metrics::detail {

class route_durations {
public:
    /// bounds: the buckets' upper bounds in seconds, ascending; shards: one per loop.
    route_durations(std::string server_label, std::vector<double> bounds, std::size_t shards);

    /// Records one response, on loop number loop_id. route: the matched pattern ("" for none).
    void record(std::size_t loop_id, std::string_view route, std::string_view method, int status,
                double seconds);

    /// Adds weft_http_request_duration_seconds's samples to out.
    void collect(family_set& out) const;

    /// The bounds a metrics_options asks for, checked (finite, ascending, positive).
    /// @throws weft::error otherwise.
    static std::vector<double> checked_bounds(std::vector<double> bounds);

private:
    struct cell {
        std::vector<std::uint64_t> counts; // bounds.size() + 1 (the last: +Inf)
        double sum = 0;
    };
    struct key_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    struct alignas(64) shard {
        mutable std::mutex mu;
        // key: route '\0' method '\0' status; looked up by string_view (no allocation per
        // request once a key is known).
        std::unordered_map<std::string, cell, key_hash, std::equal_to<>> cells;
    };

    std::string server_;
    std::vector<double> bounds_;
    std::unique_ptr<shard[]> shards_;
    std::size_t shard_count_;
};

} // namespace weft::metrics::detail
