// The idle check (see idle_check.hpp): what to watch per executor, then settle, measure the
// window in slices and judge the median slice of each executor.

#include "idle_check.hpp"

#include "proc_usage.hpp"
#include "tracking.hpp"

#include <weft/runtime/sleep.hpp>

#include <algorithm>
#include <memory>

namespace weft::stress {

namespace {

using seconds_d = std::chrono::duration<double>;

/// The sorted worker pids of each process pool among the targets.
std::vector<std::vector<long>> worker_sets(const std::vector<idle_target>& targets, bool& full) {
    std::vector<std::vector<long>> sets;
    full = true;
    for (const idle_target& t : targets) {
        if (t.executor == nullptr) {
            continue;
        }
        std::vector<long> pids = t.executor->worker_pids();
        std::sort(pids.begin(), pids.end());
        if (!pids.empty() && pids.size() < t.executor->worker_processes()) {
            full = false; // a replacement is not up yet
        }
        sets.push_back(std::move(pids));
    }
    return sets;
}

/// Waits until every process pool runs its full set of workers and no set has changed for
/// settle_quiet (at most settle_limit). Thread-based executors get the same quiet time.
task<void> settle(const std::vector<idle_target>& targets) {
    constexpr auto poll = std::chrono::milliseconds(50);
    const auto give_up = clock::now() + settle_limit;
    bool full = false;
    std::vector<std::vector<long>> last = worker_sets(targets, full);
    auto quiet = clock::duration::zero();
    while (quiet < settle_quiet && clock::now() < give_up) {
        co_await weft::sleep(poll);
        std::vector<std::vector<long>> now = worker_sets(targets, full);
        quiet = full && now == last ? quiet + poll : clock::duration::zero();
        last = std::move(now);
    }
}

/// The schedstat file of every thread and worker process a target has now.
std::vector<std::string> watched(const idle_target& t) {
    std::vector<std::string> paths = t.thread_stats;
    if (t.executor != nullptr) {
        for (long pid : t.executor->worker_pids()) {
            paths.push_back("/proc/" + std::to_string(pid) + "/schedstat");
        }
    }
    return paths;
}

/// CPU used between two readings of the same files (files gone in between count nothing).
double used_s(const std::vector<long long>& before, const std::vector<long long>& after) {
    long long ns = 0;
    for (std::size_t i = 0; i < before.size(); ++i) {
        if (before[i] >= 0 && after[i] >= 0) {
            ns += after[i] - before[i];
        }
    }
    return static_cast<double>(ns) * 1e-9;
}

std::vector<long long> read_all(const std::vector<std::string>& paths) {
    std::vector<long long> ns;
    ns.reserve(paths.size());
    for (const std::string& p : paths) {
        ns.push_back(cpu_ns_of(p));
    }
    return ns;
}

/// The test hook: one call per executor that burns CPU through the whole window.
/// (The calls refer to the workload and their books until they end.)
struct spinners {
    workload_spec spin;
    std::vector<std::unique_ptr<cell_context>> books;
    std::vector<future<std::uint64_t>> calls;

    spinners(const std::vector<idle_target>& targets, const idle_settings& s)
        : spin(parse_workload(
              "cpu:" + std::to_string(static_cast<std::uint64_t>((s.window_s + 0.5) * 1e6)))) {
        for (const idle_target& t : targets) {
            if (t.executor != nullptr) {
                books.push_back(
                    std::make_unique<cell_context>(1, std::nullopt, s.loops, test_hooks{}, false));
                calls.push_back(t.executor->call(*books.back(), spin, *books.back()->take_id()));
            }
        }
    }

    task<void> finish() {
        for (future<std::uint64_t>& f : calls) {
            (void)co_await f;
        }
    }
};

} // namespace

std::vector<idle_target>
idle_targets(const std::map<std::string, std::set<std::size_t>>& slots_by_target,
             const std::vector<std::unique_ptr<pool>>& pools) {
    std::vector<idle_target> targets;
    for (const auto& [target, slots] : slots_by_target) {
        idle_target t{target, {}, nullptr};
        for (std::size_t s : slots) {
            t.thread_stats.push_back("/proc/self/task/" + std::to_string(thread_registry::tid(s)) +
                                     "/schedstat");
        }
        targets.push_back(std::move(t));
    }
    for (const auto& p : pools) {
        auto same = [&](const idle_target& t) { return t.label == p->spec().label; };
        auto it = std::find_if(targets.begin(), targets.end(), same);
        if (it == targets.end()) {
            it = targets.insert(targets.end(), idle_target{p->spec().label, {}, nullptr});
        }
        it->executor = p.get();
    }
    // An executor with no thread and no worker process of its own has nothing to watch.
    std::erase_if(targets, [](const idle_target& t) {
        return t.thread_stats.empty() &&
               (t.executor == nullptr || t.executor->worker_pids().empty());
    });
    return targets;
}

task<std::vector<idle_result>> check_idle(std::vector<idle_target> targets,
                                          idle_settings settings) {
    co_await settle(targets);
    std::unique_ptr<spinners> spin;
    if (settings.spin) {
        spin = std::make_unique<spinners>(targets, settings);
    }
    std::vector<std::vector<std::string>> paths;
    for (const idle_target& t : targets) {
        paths.push_back(watched(t));
    }
    // readings[target][k]: the target's files read at the start of slice k (k = idle_slices: end).
    std::vector<std::vector<std::vector<long long>>> readings(targets.size());
    auto read_slice = [&] {
        for (std::size_t i = 0; i < targets.size(); ++i) {
            readings[i].push_back(read_all(paths[i]));
        }
    };
    const usage u0 = process_usage();
    const auto t0 = clock::now();
    read_slice();
    const auto slice = std::chrono::duration_cast<clock::duration>(
        seconds_d(settings.window_s / static_cast<double>(idle_slices)));
    for (std::size_t k = 1; k <= idle_slices; ++k) {
        co_await weft::sleep_until(t0 + slice * static_cast<int>(k));
        read_slice();
    }
    const double window = seconds_d(clock::now() - t0).count();
    const usage u1 = process_usage();
    if (spin) {
        co_await spin->finish();
    }
    std::vector<idle_result> out;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        idle_result r;
        r.target = targets[i].label;
        r.window_s = window;
        r.process_cpu_s = (u1.user_s + u1.sys_s) - (u0.user_s + u0.sys_s);
        r.limit_s = 0.01 * window;
        r.cpu_s = used_s(readings[i].front(), readings[i].back());
        std::vector<double> per_slice;
        for (std::size_t k = 0; k < idle_slices; ++k) {
            per_slice.push_back(used_s(readings[i][k], readings[i][k + 1]));
        }
        std::nth_element(per_slice.begin(), per_slice.begin() + idle_slices / 2, per_slice.end());
        r.typical_cpu_s = per_slice[idle_slices / 2] * static_cast<double>(idle_slices);
        out.push_back(std::move(r));
    }
    co_return out;
}

} // namespace weft::stress
