#pragma once

#include <weft/runtime/detail/wait_list.hpp>

#include <coroutine>
#include <cstddef>
#include <limits>
#include <mutex>

namespace weft {

/// A counter of permits (asyncio.Semaphore): acquire() takes one, suspending while none is left;
/// release() gives one back, straight to the longest waiter if any (FIFO, no barging). As in
/// asyncio, a waiter that was handed a permit but has not run yet still counts as waiting: an
/// acquire() meanwhile queues behind the waiters rather than take a permit released in between.
/// Thread-safe; each waiter resumes on its own loop.
class semaphore {
public:
    /// A semaphore with `value` permits.
    explicit semaphore(std::size_t value = 1) noexcept
        : semaphore(value, std::numeric_limits<std::size_t>::max()) {}
    semaphore(const semaphore&) = delete;
    semaphore& operator=(const semaphore&) = delete;

    /// Awaiter returned by acquire().
    class [[nodiscard]] awaiter : private detail::wait_base {
    public:
        explicit awaiter(semaphore& s) noexcept : wait_base(s.mutex_, s.waiters_), s_(&s) {}
        [[nodiscard]] bool await_ready() const noexcept { return false; }
        template <class P>
        bool await_suspend(std::coroutine_handle<P> h) {
            std::lock_guard<std::mutex> g(s_->mutex_);
            if (s_->value_ > 0 && s_->handed_ == 0 && s_->waiters_.empty()) {
                --s_->value_;
                return false;
            }
            return enqueue_locked(h);
        }
        void await_resume() const {
            if (node_.st == detail::wait_node::status::woken) {
                s_->arrived(); // the permit handed over is in use: later waiters may go on
            }
            finish_wait("weft::semaphore::acquire() was cancelled");
        }

    private:
        semaphore* s_;
    };

    /// Suspends until a permit is this caller's; at once when one is free. Cancellable: a cancelled
    /// waiter takes no permit.
    [[nodiscard]] awaiter acquire() noexcept { return awaiter{*this}; }

    /// Takes a permit if one is free now.
    [[nodiscard]] bool try_acquire();

    /// Gives a permit back (to the longest waiter if any). Thread-safe.
    /// @throws invalid_state_error for a bounded_semaphore released more often than acquired.
    void release();

    /// Free permits.
    [[nodiscard]] std::size_t value() const;

    /// Whether acquire() would suspend now (no free permit, or others wait for one).
    [[nodiscard]] bool locked() const;

protected:
    semaphore(std::size_t value, std::size_t bound) noexcept : value_(value), bound_(bound) {}

private:
    /// A waiter that was handed a permit resumed: hands free permits to the waiters queued behind
    /// it while it was on its way.
    void arrived() noexcept;

    mutable std::mutex mutex_;
    detail::wait_list waiters_;
    std::size_t value_;
    std::size_t bound_;
    std::size_t handed_ = 0; ///< waiters handed a permit that have not resumed yet
};

/// A semaphore that refuses to grow past its initial value (asyncio.BoundedSemaphore): a release()
/// without a matching acquire throws invalid_state_error instead of creating a permit.
class bounded_semaphore : public semaphore {
public:
    /// A semaphore with `value` permits, at most `value` free at any time.
    explicit bounded_semaphore(std::size_t value = 1) noexcept : semaphore(value, value) {}
};

} // namespace weft
