// The `--recommend` advice (recommend.hpp): among the executor cells with every call done exactly
// once, no error and (with --p99-max) a p99 within the bound, the smallest pool, then the lowest
// concurrency, that reaches 95% of the best throughput; the best that anything smaller reached,
// to say why nothing smaller was picked; a hint when the pick lies at the edge of the sweep (its
// largest concurrency, or the largest pool of its kind), where the best may lie beyond; and the
// code to write. Redis rows are left out: a redis pool's size is that of its workers.
#include "recommend.hpp"

#include "common/format.hpp"

#include <algorithm>
#include <string>
#include <tuple>

namespace weft::stress {

namespace {

std::string rate(double per_s) {
    return tools::si(per_s) + "/s";
}

/// "threads" of "threads:8".
std::string kind_of(const std::string& target) {
    return target.substr(0, target.find(':'));
}

/// A redis pool's size is its workers', which it does not control: its rows are left out.
bool remote(const cell_result& c) {
    return !c.scenario && kind_of(c.target) == "redis";
}

bool eligible(const cell_result& c) {
    return !c.scenario && !remote(c) && c.exactly_once() && c.errors == 0 && c.throughput > 0;
}

bool within(const cell_result& c, double p99_max_us) {
    return eligible(c) && (p99_max_us <= 0 || c.p99_us <= p99_max_us);
}

/// The hint for a pick at the edge of the sweep, or "".
std::string beyond_hint(const std::vector<cell_result>& cells, const cell_result& pick) {
    std::size_t top_concurrency = 0;
    std::size_t top_pool = 0;
    for (const cell_result& c : cells) {
        if (c.scenario) {
            continue;
        }
        top_concurrency = std::max(top_concurrency, c.concurrency);
        if (kind_of(c.target) == kind_of(pick.target)) {
            top_pool = std::max(top_pool, c.pool_size);
        }
    }
    std::string what;
    std::string tries;
    if (pick.concurrency == top_concurrency) {
        what = "the largest concurrency tried";
        tries =
            "-c " + std::to_string(2 * top_concurrency) + "," + std::to_string(4 * top_concurrency);
    }
    const std::string kind = kind_of(pick.target);
    if (pick.pool_size == top_pool && kind != "inline") {
        what += std::string(what.empty() ? "" : " and ") + "the largest " + kind + " pool tried";
        tries += std::string(tries.empty() ? "" : " ") + "-e " + kind + ":" +
                 std::to_string(2 * top_pool) + "," + kind + ":" + std::to_string(4 * top_pool);
    }
    if (what.empty()) {
        return "";
    }
    return "it is at " + what + ": the best may lie beyond; try " + tries;
}

std::string describe(const std::vector<cell_result>& cells, const cell_result& pick,
                     const cell_result& best, double p99_max_us) {
    // The best a smaller pool (or, for the same pool, a lower concurrency) reached: why nothing
    // smaller was picked.
    double smaller_pool = 0;
    double lower_concurrency = 0;
    bool any_smaller_pool = false;
    bool any_lower_concurrency = false;
    std::size_t over_bound = 0;
    for (const cell_result& c : cells) {
        if (!eligible(c)) {
            continue;
        }
        if (!within(c, p99_max_us)) {
            ++over_bound;
            continue;
        }
        if (c.pool_size < pick.pool_size) {
            any_smaller_pool = true;
            smaller_pool = std::max(smaller_pool, c.throughput);
        } else if (c.pool_size == pick.pool_size && c.concurrency < pick.concurrency) {
            any_lower_concurrency = true;
            lower_concurrency = std::max(lower_concurrency, c.throughput);
        }
    }
    auto pct = [&](double v) { return tools::fmt("%.0f%%", 100.0 * v / best.throughput); };
    std::string reason = pick.target + " (" + std::to_string(pick.pool_size) +
                         (pick.pool_size == 1 ? " worker" : " workers") + ") at concurrency " +
                         std::to_string(pick.concurrency) + " reaches " + rate(pick.throughput) +
                         ", " + pct(pick.throughput) + " of the best, " + rate(best.throughput) +
                         " (" + best.target + " at concurrency " +
                         std::to_string(best.concurrency) + "), with p99 " +
                         tools::latency_text(pick.p99_us);
    if (any_smaller_pool) {
        reason += "; smaller pools reach at most " + pct(smaller_pool);
    } else {
        reason += "; no smaller pool was measured";
    }
    if (any_lower_concurrency) {
        reason += ", and lower concurrency on this pool at most " + pct(lower_concurrency);
    }
    reason += " (the bar is " + std::to_string(static_cast<int>(good_enough * 100)) + "%)";
    if (over_bound > 0) {
        reason += "; " + std::to_string(over_bound) + " cell(s) with p99 over " +
                  tools::latency_text(p99_max_us) + " were left out";
    }
    return reason;
}

} // namespace

std::optional<recommendation> recommend(const std::vector<cell_result>& cells, double p99_max_us) {
    const cell_result* best = nullptr;
    for (const cell_result& c : cells) {
        if (within(c, p99_max_us) && (best == nullptr || c.throughput > best->throughput)) {
            best = &c;
        }
    }
    if (best == nullptr) {
        return std::nullopt;
    }
    const double bar = good_enough * best->throughput;
    const cell_result* pick = nullptr;
    for (const cell_result& c : cells) {
        if (!within(c, p99_max_us) || c.throughput < bar) {
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
    r.p99_us = pick->p99_us;
    r.best_target = best->target;
    r.best_concurrency = best->concurrency;
    r.best_throughput = best->throughput;
    r.reason = describe(cells, *pick, *best, p99_max_us);
    r.beyond = beyond_hint(cells, *pick);
    r.code = code_for(pick->target, pick->pool_size, pick->concurrency);
    return r;
}

std::string no_advice_reason(const std::vector<cell_result>& cells, double p99_max_us) {
    const bool any = std::any_of(cells.begin(), cells.end(), eligible);
    if (any && p99_max_us > 0) {
        return "no executor cell kept p99 within " + tools::latency_text(p99_max_us) +
               ": try a larger pool, a lower concurrency, or a looser --p99-max";
    }
    if (!any && std::any_of(cells.begin(), cells.end(), remote)) {
        return "--recommend sizes local pools only (a redis pool's size is its workers'): "
               "compare its rows by hand, or add local executors";
    }
    return "no executor cell completed every call exactly once without errors";
}

std::string code_for(const std::string& target, std::size_t workers, std::size_t concurrency) {
    const std::string kind = kind_of(target);
    const std::string n = std::to_string(workers);
    std::string code;
    if (kind == "tbb") {
        code = "weft::tbb_pool pool({.max_workers = " + n + "});";
    } else if (kind == "threads") {
        code = "weft::thread_pool pool({.threads = " + n + "});";
    } else if (kind == "process") {
        code = "weft::process_pool pool({.workers = " + n + "});";
    } else {
        code = "weft::inline_executor pool;";
    }
    return code + "\nweft::semaphore in_flight(" + std::to_string(concurrency) +
           "); // co_await in_flight.acquire() before each call, release() after";
}

} // namespace weft::stress
