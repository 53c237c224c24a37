// The redis executor of `weft stress` (redis_executor.hpp). Each call is remote_stress_call sent
// through a weft::redis_pool: the id and the pid of the process that ran it come back, and the
// call's books are kept as a process pool's are. A worker of the run's own that exits is told on
// stderr, and its calls go to the others (the pool's recovery, measured like any other). Calls
// fail fast once the pool cannot work: after a broker_error (Redis unreachable for the pool's
// connect_timeout) or once every worker the run started has exited, every later call raises at
// once instead of waiting on its own, so that a broken setup ends the cell with errors rather
// than hanging it. A password comes from
// WEFT_REDIS_PASSWORD (and the user from WEFT_REDIS_USER), as for `weft worker`. Before the sweep,
// get_ready() waits for the workers to answer (the run's own ones all, or any other one), so
// that no cell times their start-up and a queue nobody serves is reported instead of waited on.
#include "redis_executor.hpp"

#include "workload.hpp"

#if WEFT_STRESS_REDIS_POOL
#include "local_workers.hpp"
#include "remote_workload.hpp"

#include <weft/executors/redis_pool.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/wait.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#endif

namespace weft::stress {

#if WEFT_STRESS_REDIS_POOL

namespace {

/// How long the workers have to answer before the sweep: those the run starts (ASan builds start
/// slowly), and those already serving the queue.
constexpr auto ready_limit = std::chrono::seconds(60);
constexpr auto serving_limit = std::chrono::seconds(15);
/// What a probe call runs: long enough to hold a worker's slot while the other probes find
/// theirs.
constexpr const char* probe_workload = "sleep:50000";
/// How often the wait for probes looks for workers that exited.
constexpr auto probe_slice = std::chrono::milliseconds(500);
/// A redis worker's default read-ahead, per call it runs at once (redis_worker_options).
constexpr std::size_t default_prefetch_per_call = 3;

redis_pool::options pool_options(const redis_spec& r) {
    redis_pool::options o;
    o.url = r.url;
    o.queue = r.queue;
    o.max_in_flight = r.in_flight;
    o.name = "stress-redis";
    if (const char* u = std::getenv("WEFT_REDIS_USER")) {
        o.user = u;
    }
    if (const char* p = std::getenv("WEFT_REDIS_PASSWORD")) {
        o.password = p;
    }
    return o;
}

/// Why calls fail at once from now on; written once, read by every submitting loop.
class failure_note {
public:
    void set(const std::string& why) {
        std::lock_guard lock(m_);
        if (why_.empty()) {
            why_ = why;
            std::fprintf(stderr, "weft stress: redis executor: %s\n", why.c_str());
            // release: a reader that sees true also sees why_ (it takes the lock anyway).
            failed_.store(true, std::memory_order_release);
        }
    }
    /// "" while the pool works: one atomic load on each call's path.
    [[nodiscard]] std::string get() const {
        if (!failed_.load(std::memory_order_acquire)) {
            return {};
        }
        std::lock_guard lock(m_);
        return why_;
    }

private:
    mutable std::mutex m_;
    std::string why_;                 ///< guarded by m_
    std::atomic<bool> failed_{false}; ///< true once why_ is set
};

task<std::uint64_t> redis_call(redis_pool& ex, failure_note& failed, cell_context& ctx,
                               std::string label, std::uint64_t id) {
    try {
        auto res = co_await weft::run_in_executor(ex, remote_stress_call, label, id);
        // An id that came back other than sent shows as one call lost and another doubled.
        ctx.ran_remote(res.first, static_cast<long>(res.second));
        co_return res.first;
    } catch (const broker_error& e) {
        failed.set(e.what());
        throw;
    }
}

class redis_based_pool final : public pool {
public:
    explicit redis_based_pool(const executor_spec& spec) : pool(spec), ex_(make_executor(spec)) {
        if (spec.redis.workers > 0) {
            workers_.emplace(spec.redis);
        }
    }
    ~redis_based_pool() override {
        ex_.reset();      // every call has its result: the workers may go
        workers_.reset(); // SIGTERM, drain, reap
    }

    future<std::uint64_t> call(cell_context& ctx, const workload_spec& w,
                               std::uint64_t id) override {
        if (workers_ && !workers_->first_exit().empty() && workers_->all_exited()) {
            failed_.set("every redis worker of the run has exited, the first: " +
                        workers_->first_exit());
        }
        if (std::string why = failed_.get(); !why.empty()) {
            throw workload_error("redis executor failed: " + why);
        }
        return weft::create_task(redis_call(*ex_, failed_, ctx, w.label, id));
    }
    /// The calls the run's own workers run at once, or the pool's max_in_flight without them.
    std::size_t max_workers() const noexcept override {
        const redis_spec& r = spec().redis;
        return r.workers > 0 ? r.workers * r.per_worker : ex_->max_workers();
    }
    task<void> get_ready() override;
    std::vector<long> worker_pids() const override {
        return workers_ ? workers_->pids() : std::vector<long>{};
    }
    std::size_t worker_processes() const noexcept override { return spec().redis.workers; }

private:
    static std::unique_ptr<redis_pool> make_executor(const executor_spec& spec) {
        try {
            return std::make_unique<redis_pool>(pool_options(spec.redis));
        } catch (const std::invalid_argument& e) {
            throw spec_error("executor " + spec.label + ": " + e.what());
        }
    }

    failure_note failed_;
    std::unique_ptr<redis_pool> ex_;
    std::optional<local_workers> workers_;
};

/// Probe calls until every slot of the run's workers has answered, or until one answer from the
/// queue's workers when the run started none. Without this the first cell would time the
/// workers' start-up. Each round sends as many probes as all the workers hold at once (running
/// and read ahead), and each probe sleeps, so that a worker up early holds its share and leaves
/// the rest to the others.
task<void> redis_based_pool::get_ready() {
    const redis_spec& r = spec().redis;
    const std::size_t want = r.workers > 0 ? r.workers * r.per_worker : 1;
    const std::size_t held =
        r.per_worker + (r.prefetch ? *r.prefetch : default_prefetch_per_call * r.per_worker);
    const std::size_t per_round = r.workers > 0 ? r.workers * held : 1;
    const auto limit = r.workers > 0 ? ready_limit : serving_limit;
    const auto give_up = clock::now() + limit;
    std::set<std::int64_t> seen;
    std::uint64_t id = 0;
    std::vector<future<std::pair<std::uint64_t, std::int64_t>>> probes;
    // Probes still out are cancelled before any throw: the pool's shutdown waits for its calls.
    auto fail = [&](const std::string& why) {
        for (auto& f : probes) {
            f.cancel();
        }
        return workload_error("executor " + spec().label + ": " + why);
    };
    while (seen.size() < want && clock::now() < give_up) {
        for (std::size_t i = 0; i < per_round; ++i) {
            probes.push_back(weft::run_in_executor(*ex_, remote_stress_call, probe_workload, id++));
        }
        // The round's probes, awaited in slices: between them, a worker that exited is found.
        while (!probes.empty()) {
            if (workers_) {
                if (std::string gone = workers_->first_exit(); !gone.empty()) {
                    throw fail(gone);
                }
            }
            if (clock::now() >= give_up) {
                for (auto& f : probes) {
                    f.cancel();
                }
                probes.clear();
                break;
            }
            auto [done, pending] =
                co_await weft::wait(probes, return_when::all_completed,
                                    std::min<clock::duration>(give_up - clock::now(), probe_slice));
            probes = std::move(pending);
            for (auto& f : done) {
                try {
                    seen.insert((co_await f).second);
                } catch (const std::exception& e) { // broker_error, a worker's failure
                    throw fail(e.what());
                }
            }
        }
    }
    if (seen.empty()) {
        throw workload_error(
            "executor " + spec().label + ": no worker answered within " +
            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(limit).count()) +
            " s; start some with `weft worker --redis URL --queue " + r.queue +
            "`, or give workers=N to start them for the run");
    }
}

} // namespace

std::unique_ptr<pool> make_redis_pool(const executor_spec& spec) {
    return std::make_unique<redis_based_pool>(spec);
}

#else

std::unique_ptr<pool> make_redis_pool(const executor_spec& spec) {
    throw spec_error("executor " + spec.label +
                     ": redis pools are not available in this build of weft stress");
}

#endif

} // namespace weft::stress
