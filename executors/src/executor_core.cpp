// The non-template half every executor shares (detail/executor_core.hpp): accepting calls into the
// executor's queue (blocking, trying, or a future for when a full bounded queue has room), counting
// each call's stages on per-thread shards (executor_stats), and shutdown, which may wait for the
// calls already accepted to end.
#include <weft/executors/detail/executor_core.hpp>

#include <weft/runtime/log.hpp>

#include <algorithm>

namespace weft::detail {

namespace {

/// This thread's counter slot: given round robin on first use, so that up to shard_count
/// threads (the loops and the workers) each count on their own cache line. Initial-exec TLS: a
/// plain load, where the default model for a shared library calls __tls_get_addr on every count.
constexpr std::size_t no_slot = ~std::size_t{0};
[[gnu::tls_model("initial-exec")]] thread_local std::size_t my_slot = no_slot;

std::size_t thread_slot(std::size_t count) noexcept {
    std::size_t slot = my_slot;
    if (slot == no_slot) [[unlikely]] {
        static std::atomic<std::size_t> next{0};
        slot = next.fetch_add(1, std::memory_order_relaxed) % count;
        my_slot = slot;
    }
    return slot;
}

} // namespace

executor_core::counter_shard& executor_core::my_shard() noexcept {
    return shards_[thread_slot(shard_count)];
}

std::uint64_t executor_core::sum(std::atomic<std::uint64_t> counter_shard::*c) const noexcept {
    std::uint64_t total = 0;
    for (const counter_shard& s : shards_) {
        total += (s.*c).load(std::memory_order_seq_cst);
    }
    return total;
}

void executor_core::check_open() const {
    if (is_shut_down()) {
        throw executor_shut_down("executor '" + name_ + "' is shut down: no new calls accepted");
    }
}

void executor_core::count_submitted() {
    // Pairs with shutdown(), which sets shut_down_ before it sums `submitted` (all seq_cst, so in
    // one order): either its sum sees this count and it waits for the call, or the load below
    // sees shut_down_ and the submit throws. With the check before the count only, a submit
    // could pass it, shutdown(wait) sum without it and return, and the call be queued after.
    counter_shard& shard = my_shard();
    shard.submitted.fetch_add(1, std::memory_order_seq_cst);
    if (shut_down_.load(std::memory_order_seq_cst)) {
        shard.submitted.fetch_sub(1, std::memory_order_seq_cst);
        check_open(); // throws executor_shut_down
    }
}

void executor_core::accept(job j) {
    check_open();
    count_submitted();
    if (auto* hook = before_enqueue_hook.load(std::memory_order_relaxed)) {
        hook();
    }
    try {
        (void)enqueue(j, /*wait_for_room=*/true);
    } catch (...) {
        my_shard().submitted.fetch_sub(1, std::memory_order_seq_cst);
        throw;
    }
}

bool executor_core::try_accept(job& j) {
    check_open();
    count_submitted();
    bool ok = false;
    try {
        ok = enqueue(j, /*wait_for_room=*/false);
    } catch (...) {
        my_shard().submitted.fetch_sub(1, std::memory_order_seq_cst);
        throw;
    }
    if (!ok) {
        my_shard().submitted.fetch_sub(1, std::memory_order_seq_cst);
    }
    return ok;
}

future<void> executor_core::when_room() {
    promise<void> p;
    future<void> f = p.get_future();
    {
        std::lock_guard lock(mtx_);
        if (!stopped_ && !is_shut_down()) {
            room_waiters_.push_back(std::move(p));
            return f;
        }
    }
    p.set_value(); // shut down: let the caller retry and see executor_shut_down
    return f;
}

void executor_core::room_freed() noexcept {
    std::vector<promise<void>> wake;
    {
        std::lock_guard lock(mtx_);
        wake.swap(room_waiters_);
    }
    for (auto& p : wake) {
        p.set_value();
    }
}

thread_local bool executor_core::refusing_ = false;

bool executor_core::begin_job(bool abandoned) noexcept {
    my_shard().started.fetch_add(1, std::memory_order_relaxed);
    return !abandoned && !refusing_ && !cancel_pending_.load(std::memory_order_acquire);
}

void executor_core::end_job(job_end how) noexcept {
    counter_shard& shard = my_shard();
    std::atomic<std::uint64_t>& counter = how == job_end::completed   ? shard.completed
                                          : how == job_end::failed    ? shard.failed
                                          : how == job_end::discarded ? shard.discarded
                                                                      : shard.cancelled;
    // Once shutdown(wait) waits, the count goes up under the mutex with a notify, so that
    // shutdown() (which checks under the same mutex) cannot see the last call end, return and let
    // the executor be freed while this thread still touches it. Otherwise the increment is this
    // call's last touch of *this. A call that read waiting_ just before shutdown set it counts
    // without a notify; shutdown() rechecks every millisecond for that case.
    if (waiting_.load(std::memory_order_seq_cst)) {
        std::lock_guard lock(mtx_);
        counter.fetch_add(1, std::memory_order_seq_cst);
        idle_cv_.notify_all();
        return;
    }
    counter.fetch_add(1, std::memory_order_seq_cst);
}

std::uint64_t executor_core::ended() const noexcept {
    return sum(&counter_shard::completed) + sum(&counter_shard::failed) +
           sum(&counter_shard::discarded) + sum(&counter_shard::cancelled);
}

bool executor_core::shutdown(bool wait, bool cancel_pending,
                             std::optional<std::chrono::milliseconds> timeout) {
    if (cancel_pending) {
        cancel_pending_.store(true, std::memory_order_release);
    }
    // seq_cst: ordered before the sums below, for count_submitted()'s re-check.
    bool first = !shut_down_.exchange(true, std::memory_order_seq_cst);
    if (first) {
        room_freed(); // waiters for room retry and see executor_shut_down
    }
    bool idle = true;
    if (wait) {
        std::unique_lock lock(mtx_);
        waiting_.store(true, std::memory_order_seq_cst);
        // Counters only grow and every call ends after it was submitted, so ended() reaching
        // submitted (read first) means every call accepted so far has ended.
        auto is_idle = [this] {
            const std::uint64_t submitted = sum(&counter_shard::submitted);
            return ended() >= submitted;
        };
        const auto deadline = timeout ? std::chrono::steady_clock::now() + *timeout
                                      : std::chrono::steady_clock::time_point::max();
        while (!is_idle()) {
            const auto now = std::chrono::steady_clock::now();
            if (now >= deadline) {
                idle = false;
                break;
            }
            idle_cv_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(
                                        deadline - now, std::chrono::milliseconds(1)));
        }
    }
    bool stop = false;
    {
        std::lock_guard lock(mtx_);
        if (!stopped_ && (idle || !wait)) {
            stopped_ = true;
            stop = true;
        }
    }
    if (stop) {
        stop_workers(wait && idle);
    }
    return idle;
}

executor_stats executor_core::stats() const noexcept {
    executor_stats s;
    s.max_workers = max_workers();
    s.completed = sum(&counter_shard::completed);
    s.failed = sum(&counter_shard::failed);
    s.cancelled = sum(&counter_shard::cancelled);
    s.discarded = sum(&counter_shard::discarded);
    // Read the later stages first, so that no difference below goes negative.
    const std::uint64_t ended = s.completed + s.failed + s.discarded + s.cancelled;
    const std::uint64_t started = std::max(sum(&counter_shard::started), ended);
    const std::uint64_t submitted = std::max(sum(&counter_shard::submitted), started);
    s.submitted = submitted;
    s.queued = static_cast<std::size_t>(submitted - started);
    // Calls cancelled before they started count as started and ended, but never ran.
    s.running = static_cast<std::size_t>(started - ended);
    return s;
}

} // namespace weft::detail
