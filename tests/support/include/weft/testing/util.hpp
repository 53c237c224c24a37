#pragma once

/// Small building blocks for runtime tests: synchronisation without sleeps, and tasks that stay
/// suspended until cancelled.

#include <weft/runtime/clock.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/task.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>

namespace weft::testing {

/// Stays suspended until cancelled (an hour-long sleep: a test that relies on it ending by itself
/// times out instead).
inline task<void> until_cancelled() {
    co_await sleep(std::chrono::hours(1));
}

/// Returns v at once.
template <class T>
task<T> value_now(T v) {
    co_return v;
}

/// Returns v after d of loop time (for tests where time is the behaviour under test).
template <class T>
task<T> value_after(T v, clock::duration d) {
    co_await sleep(d);
    co_return v;
}

/// Yields to the other tasks of this loop until pred() holds; false if it still does not after
/// max_yields rounds. For conditions that tasks of the same loop make true.
template <class Pred>
task<bool> yield_until(Pred pred, std::size_t max_yields = 10'000) {
    for (std::size_t i = 0; i < max_yields; ++i) {
        if (pred()) {
            co_return true;
        }
        co_await weft::yield();
    }
    co_return pred();
}

/// A one-shot event any thread may set; any loop may await it.
class event {
public:
    event() : f_(p_.get_future()) {}
    /// Sets it; later calls do nothing. Thread-safe.
    void set() {
        if (!set_.exchange(true, std::memory_order_acq_rel)) {
            p_.set_value();
        }
    }
    [[nodiscard]] bool is_set() const noexcept { return set_.load(std::memory_order_acquire); }
    /// Completes once set() was called.
    [[nodiscard]] future<void> wait() const { return f_; }

private:
    promise<void> p_;
    future<void> f_;
    std::atomic<bool> set_{false};
};

/// Completes its future when count_down() was called `n` times, from any threads.
class countdown {
public:
    explicit countdown(std::size_t n) : left_(n) {
        if (n == 0) {
            done_.set();
        }
    }
    void count_down() {
        if (left_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            done_.set();
        }
    }
    [[nodiscard]] std::size_t left() const noexcept {
        return left_.load(std::memory_order_acquire);
    }
    [[nodiscard]] future<void> wait() const { return done_.wait(); }

private:
    std::atomic<std::size_t> left_;
    event done_;
};

} // namespace weft::testing
