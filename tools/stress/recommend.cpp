// The `--recommend` advice (recommend.hpp): among the executor cells with every call done exactly
// once and no error, the smallest pool, then the lowest concurrency, that reaches 95% of the best
// throughput, and the best that anything smaller reached, to say why nothing smaller was picked.
#include "recommend.hpp"

#include "common/format.hpp"

#include <string>
#include <tuple>

namespace weft::stress {

namespace {

std::string rate(double per_s) {
    return tools::si(per_s) + "/s";
}

bool eligible(const cell_result& c) {
    return !c.scenario && c.exactly_once() && c.errors == 0 && c.throughput > 0;
}

} // namespace

std::optional<recommendation> recommend(const std::vector<cell_result>& cells) {
    const cell_result* best = nullptr;
    for (const cell_result& c : cells) {
        if (eligible(c) && (best == nullptr || c.throughput > best->throughput)) {
            best = &c;
        }
    }
    if (best == nullptr) {
        return std::nullopt;
    }
    const double bar = good_enough * best->throughput;
    const cell_result* pick = nullptr;
    for (const cell_result& c : cells) {
        if (!eligible(c) || c.throughput < bar) {
            continue;
        }
        // Smallest pool first, then the fewest calls in flight, then the higher throughput.
        if (pick == nullptr ||
            std::make_tuple(c.pool_size, c.concurrency, -c.throughput) <
                std::make_tuple(pick->pool_size, pick->concurrency, -pick->throughput)) {
            pick = &c;
        }
    }
    recommendation r;
    r.target = pick->target;
    r.pool_size = pick->pool_size;
    r.concurrency = pick->concurrency;
    r.throughput = pick->throughput;
    r.best_target = best->target;
    r.best_concurrency = best->concurrency;
    r.best_throughput = best->throughput;

    // The best a smaller pool (or, for the same pool, a lower concurrency) reached: why nothing
    // smaller was picked.
    double smaller_pool = 0;
    double lower_concurrency = 0;
    bool any_smaller_pool = false;
    bool any_lower_concurrency = false;
    for (const cell_result& c : cells) {
        if (!eligible(c)) {
            continue;
        }
        if (c.pool_size < pick->pool_size) {
            any_smaller_pool = true;
            smaller_pool = std::max(smaller_pool, c.throughput);
        } else if (c.pool_size == pick->pool_size && c.concurrency < pick->concurrency) {
            any_lower_concurrency = true;
            lower_concurrency = std::max(lower_concurrency, c.throughput);
        }
    }
    auto pct = [&](double v) { return tools::fmt("%.0f%%", 100.0 * v / best->throughput); };
    const std::string share = pct(pick->throughput);
    r.reason = pick->target + " (" + std::to_string(pick->pool_size) + " workers) at concurrency " +
               std::to_string(pick->concurrency) + " reaches " + rate(pick->throughput) + ", " +
               share + " of the best, " + rate(best->throughput) + " (" + best->target +
               " at concurrency " + std::to_string(best->concurrency) + ")";
    if (any_smaller_pool) {
        r.reason += "; smaller pools reach at most " + pct(smaller_pool);
    } else {
        r.reason += "; no smaller pool was measured";
    }
    if (any_lower_concurrency) {
        r.reason += ", and lower concurrency on this pool at most " + pct(lower_concurrency);
    }
    r.reason += " (the bar is " + std::to_string(static_cast<int>(good_enough * 100)) + "%)";
    return r;
}

} // namespace weft::stress
