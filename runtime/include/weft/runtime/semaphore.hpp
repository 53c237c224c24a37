#pragma once

#include <weft/runtime/detail/wait_list.hpp>

#include <coroutine>
#include <cstddef>
#include <limits>
#include <mutex>

namespace weft {

/// A counter of permits (asyncio.Semaphore): acquire() takes one, suspending while none is left;
/// release() gives one back, straight to the longest waiter if any (FIFO, no barging). Thread-safe;
/// each waiter resumes on its own loop.
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
            if (s_->value_ > 0) { // permits are handed to waiters first, so none waits now
                --s_->value_;
                return false;
            }
            return enqueue_locked(h);
        }
        void await_resume() const { finish_wait("weft::semaphore::acquire() was cancelled"); }

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

    /// Whether acquire() would suspend now.
    [[nodiscard]] bool locked() const { return value() == 0; }

protected:
    semaphore(std::size_t value, std::size_t bound) noexcept : value_(value), bound_(bound) {}

private:
    mutable std::mutex mutex_;
    detail::wait_list waiters_;
    std::size_t value_;
    std::size_t bound_;
};

/// A semaphore that refuses to grow past its initial value (asyncio.BoundedSemaphore): a release()
/// without a matching acquire throws invalid_state_error instead of creating a permit.
class bounded_semaphore : public semaphore {
public:
    /// A semaphore with `value` permits, at most `value` free at any time.
    explicit bounded_semaphore(std::size_t value = 1) noexcept : semaphore(value, value) {}
};

} // namespace weft
