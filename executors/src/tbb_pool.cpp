// weft::tbb_pool (tbb_pool.hpp): a oneTBB arena whose workers run the pool's calls through drainer
// tasks, each running queued calls until none is left, so that a burst costs a few arena enqueues
// rather than one per call. Also: the process-wide oneTBB parallelism limit that the live pools
// raise, and the pool's default size.
#include <weft/executors/tbb_pool.hpp>

#include "yield_until.hpp"

#include <weft/runtime/log.hpp>

#include <oneapi/tbb/concurrent_queue.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace weft {

namespace detail {

namespace {

/// oneTBB caps its workers at the hardware threads unless a global_control raises the cap, and
/// when several global_controls are alive the smallest wins. So one process-wide control holds
/// the largest cap any live pool needs (+1: the limit counts a thread joining the arena).
class parallelism_limit {
public:
    static parallelism_limit& instance() {
        static parallelism_limit l;
        return l;
    }

    void acquire(std::size_t workers) {
        std::lock_guard lock(mtx_);
        wanted_.insert(workers + 1);
        apply();
    }

    void release(std::size_t workers) noexcept {
        std::lock_guard lock(mtx_);
        if (auto it = wanted_.find(workers + 1); it != wanted_.end()) {
            wanted_.erase(it);
        }
        try {
            apply();
        } catch (...) {
            // Keeping the larger cap is harmless.
        }
    }

private:
    void apply() {
        const std::size_t want = wanted_.empty() ? 0 : *wanted_.rbegin();
        if (want == current_) {
            return;
        }
        control_.reset(); // first: with two alive, the smaller would win
        if (want != 0) {
            control_ = std::make_unique<tbb::global_control>(
                tbb::global_control::max_allowed_parallelism, want);
        }
        current_ = want;
    }

    std::mutex mtx_;
    std::multiset<std::size_t> wanted_;
    std::unique_ptr<tbb::global_control> control_;
    std::size_t current_ = 0;
};

} // namespace

/// The calls waiting for a drainer, and the drainers' bookkeeping. Shared (by reference count)
/// between the pool and its drainer tasks, so that a drainer that has run the pool's last call
/// may still look at the queue after the pool is gone.
struct drain_state {
    explicit drain_state(int max) : max_drainers(max) {}

    tbb::concurrent_queue<executor_core::job> queue;
    const int max_drainers;
    /// The arena drainers are enqueued to; only used while a call is in flight (pool alive).
    tbb::task_arena* arena = nullptr;

    alignas(64) std::atomic<int> alive{0}; ///< drainers enqueued and not finished
    std::atomic<int> idle{0};              ///< of them, those not running a call
    std::atomic<int> parked{0};            ///< of those, the ones asleep on park_cv

    std::mutex park_mtx;
    std::condition_variable park_cv;
    bool closing = false; ///< the pool is gone: parked drainers leave (under park_mtx)

    /// Wakes a parked drainer for a call just queued, if one is parked.
    void wake_parked() noexcept {
        if (parked.load(std::memory_order_seq_cst) != 0) {
            { std::lock_guard lock(park_mtx); }
            park_cv.notify_one();
        }
    }
};

/// One oneTBB task that runs queued calls until the queue is empty. The pool keeps at most
/// max_workers of them alive and starts one only when no idle drainer will pick a new call up,
/// so a burst of calls costs a few arena enqueues instead of one each, and a worker that has more
/// calls keeps going instead of going back through oneTBB's scheduler.
class drainer {
public:
    explicit drainer(std::shared_ptr<drain_state> s) noexcept : s_(std::move(s)) {}

    /// Starts a drainer when there is room for one; called with a call in flight.
    static void start_if_room(const std::shared_ptr<drain_state>& s) {
        if (!take_slot(*s)) {
            return;
        }
        s->idle.fetch_add(1, std::memory_order_acq_rel);
        try {
            s->arena->enqueue(drainer(s));
        } catch (...) {
            s->idle.fetch_sub(1, std::memory_order_acq_rel);
            s->alive.fetch_sub(1, std::memory_order_acq_rel);
            throw;
        }
    }

    void operator()() const {
        drain_state& s = *s_;
        executor_core::job j;
        int misses = 0; // calls seen while lingering and taken by another drainer, in a row
        for (;;) {
            if (s.queue.try_pop(j)) {
                misses = 0;
                // Busy now: if nobody else is idle and more calls wait, start a helper first.
                if (s.idle.fetch_sub(1, std::memory_order_seq_cst) == 1) {
                    std::atomic_thread_fence(std::memory_order_seq_cst);
                    if (!s.queue.empty()) {
                        try {
                            start_if_room(s_);
                        } catch (...) {
                            // The calls still run, on this drainer.
                        }
                    }
                }
                // Then straight on to the next call while there is one, still counted busy: the
                // submitters read `idle` on every call, so it changes only when a drainer runs
                // out of calls or finds one again.
                do {
                    j();
                    j = {};
                } while (s.queue.try_pop(j));
                s.idle.fetch_add(1, std::memory_order_acq_rel);
                continue;
            }
            // A call often follows soon (a task awaiting one call after another, the next burst
            // of a gather): stay idle a few microseconds, so that it needs no enqueue and no
            // wake-up of a sleeping worker.
            // A drainer that keeps losing the calls it waited for to other drainers is one too
            // many (say, after a burst, for calls that now come one at a time): it stops
            // lingering, so that idle drainers do not compete with the loops for the cores.
            if (misses < max_misses &&
                yield_until([&s] { return !s.queue.empty(); }, linger_time)) {
                ++misses;
                continue;
            }
            if (park(s)) {
                continue;
            }
            // Out of work: leave, unless a call arrived after our look (its submitter saw us idle
            // and started nobody).
            s.idle.fetch_sub(1, std::memory_order_seq_cst);
            s.alive.fetch_sub(1, std::memory_order_seq_cst);
            std::atomic_thread_fence(std::memory_order_seq_cst);
            if (s.queue.empty()) {
                return;
            }
            if (!take_slot(s)) {
                return; // max_workers drainers are alive: they take it
            }
            s.idle.fetch_add(1, std::memory_order_acq_rel);
        }
    }

private:
    /// Counts one more drainer alive if fewer than max_workers are; false when none may start.
    static bool take_slot(drain_state& s) noexcept {
        int a = s.alive.load(std::memory_order_relaxed);
        while (a < s.max_drainers) {
            if (s.alive.compare_exchange_weak(a, a + 1, std::memory_order_acq_rel,
                                              std::memory_order_relaxed)) {
                return true;
            }
        }
        return false;
    }

    /// Sleeps for up to park_time while the queue is empty, still counted idle, so that a trickle
    /// of calls (one every few milliseconds) wakes this thread instead of enqueueing a task into
    /// the arena each time, which makes oneTBB wake all of its idle workers. True when a call
    /// arrived.
    static bool park(drain_state& s) {
        std::unique_lock lock(s.park_mtx);
        // One parked drainer at most: a parked drainer holds a oneTBB worker thread that other
        // arenas (a tbb::parallel_for elsewhere in the program) could use.
        if (s.parked.load(std::memory_order_relaxed) != 0) {
            return false;
        }
        s.parked.fetch_add(1, std::memory_order_seq_cst);
        // Pairs with the submitter's fence: either it sees us parked and wakes us, or we see its
        // call here.
        std::atomic_thread_fence(std::memory_order_seq_cst);
        const bool woken =
            s.park_cv.wait_for(lock, park_time, [&] { return s.closing || !s.queue.empty(); });
        s.parked.fetch_sub(1, std::memory_order_seq_cst);
        return woken && !s.closing;
    }

    static constexpr std::chrono::milliseconds park_time{50};
    static constexpr int max_misses = 8;

    std::shared_ptr<drain_state> s_;
};

/// A oneTBB arena whose workers run the pool's calls through drainer tasks: they steal from one
/// another, and a call that runs tbb::parallel_for spreads over the same arena.
class tbb_pool_core final : public executor_core {
public:
    explicit tbb_pool_core(const tbb_pool::options& o)
        : executor_core(o.name != nullptr ? o.name : "tbb_pool"),
          workers_(o.max_workers != 0 ? o.max_workers : tbb_pool::default_max_workers()),
          limit_(workers_),
          // No slot reserved for a joining thread: enqueue() is served by workers only.
          arena_(static_cast<int>(workers_), 0),
          drain_(std::make_shared<drain_state>(static_cast<int>(workers_))) {
        drain_->arena = &arena_;
    }

    ~tbb_pool_core() override {
        // Every call has ended (the pool shut down with wait first); parked drainers leave now
        // rather than at the end of their park_time.
        {
            std::lock_guard lock(drain_->park_mtx);
            drain_->closing = true;
        }
        drain_->park_cv.notify_all();
    }

    [[nodiscard]] std::size_t max_workers() const noexcept override { return workers_; }

protected:
    bool enqueue(job& j, bool /*wait_for_room*/) override {
        drain_->queue.push(std::move(j));
        // Pairs with a leaving drainer's fence: either it sees this call, or we see it gone.
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (drain_->idle.load(std::memory_order_relaxed) == 0) {
            drainer::start_if_room(drain_);
        } else {
            drain_->wake_parked();
        }
        return true;
    }

    void stop_workers(bool /*wait*/) noexcept override {}

private:
    /// Holds the process-wide worker cap up for this pool's lifetime.
    struct limit_hold {
        explicit limit_hold(std::size_t w) : workers(w) {
            parallelism_limit::instance().acquire(w);
        }
        ~limit_hold() { parallelism_limit::instance().release(workers); }
        limit_hold(const limit_hold&) = delete;
        limit_hold& operator=(const limit_hold&) = delete;
        std::size_t workers;
    };

    std::size_t workers_;
    limit_hold limit_;
    tbb::task_arena arena_;
    std::shared_ptr<drain_state> drain_;
};

} // namespace detail

std::size_t tbb_pool::default_max_workers() noexcept {
    std::size_t cores = std::max(1U, std::thread::hardware_concurrency());
    return std::max<std::size_t>(32, cores + 4);
}

tbb_pool::tbb_pool(options opts) : executor_base(std::make_unique<detail::tbb_pool_core>(opts)) {}

} // namespace weft
