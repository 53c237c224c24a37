#include <weft/executors/detail/executor_core.hpp>

#include <weft/runtime/log.hpp>

#include <algorithm>

namespace weft::detail {

void executor_core::check_open() const {
    if (is_shut_down()) {
        throw executor_shut_down("executor '" + name_ + "' is shut down: no new calls accepted");
    }
}

void executor_core::accept(job j) {
    check_open();
    in_flight_.fetch_add(1, std::memory_order_acq_rel);
    submitted_.fetch_add(1, std::memory_order_relaxed);
    try {
        (void)enqueue(j, /*wait_for_room=*/true);
    } catch (...) {
        submitted_.fetch_sub(1, std::memory_order_relaxed);
        leave();
        throw;
    }
}

bool executor_core::try_accept(job& j) {
    check_open();
    in_flight_.fetch_add(1, std::memory_order_acq_rel);
    submitted_.fetch_add(1, std::memory_order_relaxed);
    bool ok = false;
    try {
        ok = enqueue(j, /*wait_for_room=*/false);
    } catch (...) {
        submitted_.fetch_sub(1, std::memory_order_relaxed);
        leave();
        throw;
    }
    if (!ok) {
        submitted_.fetch_sub(1, std::memory_order_relaxed);
        leave();
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

bool executor_core::begin_job(bool abandoned) noexcept {
    started_.fetch_add(1, std::memory_order_relaxed);
    return !abandoned && !cancel_pending_.load(std::memory_order_acquire);
}

void executor_core::end_job(job_end how) noexcept {
    switch (how) {
    case job_end::completed:
        completed_.fetch_add(1, std::memory_order_relaxed);
        break;
    case job_end::failed:
        failed_.fetch_add(1, std::memory_order_relaxed);
        break;
    case job_end::discarded:
        discarded_.fetch_add(1, std::memory_order_relaxed);
        break;
    case job_end::cancelled:
        cancelled_.fetch_add(1, std::memory_order_relaxed);
        break;
    }
    leave(); // the last touch of *this: shutdown() may free it right after
}

void executor_core::leave() noexcept {
    // The last call out after shutdown began must decrement under the mutex, so that shutdown()
    // (which checks for zero under the same mutex) cannot see zero, return, and let the executor
    // be freed while this thread still touches it. Any other decrement is a plain CAS, and that
    // CAS is its last touch.
    std::size_t cur = in_flight_.load(std::memory_order_acquire);
    for (;;) {
        if (cur == (waiting_bit | 1)) {
            std::lock_guard lock(mtx_);
            in_flight_.fetch_sub(1, std::memory_order_acq_rel);
            idle_cv_.notify_all();
            return;
        }
        if (in_flight_.compare_exchange_weak(cur, cur - 1, std::memory_order_acq_rel,
                                             std::memory_order_acquire)) {
            return;
        }
    }
}

bool executor_core::shutdown(bool wait, bool cancel_pending,
                             std::optional<std::chrono::milliseconds> timeout) {
    if (cancel_pending) {
        cancel_pending_.store(true, std::memory_order_release);
    }
    bool first = !shut_down_.exchange(true, std::memory_order_acq_rel);
    if (first) {
        room_freed(); // waiters for room retry and see executor_shut_down
    }
    bool idle = true;
    if (wait) {
        std::unique_lock lock(mtx_);
        in_flight_.fetch_or(waiting_bit, std::memory_order_acq_rel);
        auto is_idle = [this] {
            return (in_flight_.load(std::memory_order_acquire) & ~waiting_bit) == 0;
        };
        if (timeout) {
            idle = idle_cv_.wait_for(lock, *timeout, is_idle);
        } else {
            idle_cv_.wait(lock, is_idle);
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
    s.completed = completed_.load(std::memory_order_relaxed);
    s.failed = failed_.load(std::memory_order_relaxed);
    s.cancelled = cancelled_.load(std::memory_order_relaxed);
    s.discarded = discarded_.load(std::memory_order_relaxed);
    // Read the later stages first, so that no difference below goes negative.
    const std::uint64_t ended = s.completed + s.failed + s.discarded + s.cancelled;
    const std::uint64_t started = std::max(started_.load(std::memory_order_acquire), ended);
    const std::uint64_t submitted = std::max(submitted_.load(std::memory_order_acquire), started);
    s.submitted = submitted;
    s.queued = static_cast<std::size_t>(submitted - started);
    // Calls cancelled before they started count as started and ended, but never ran.
    s.running = static_cast<std::size_t>(started - ended);
    return s;
}

} // namespace weft::detail
