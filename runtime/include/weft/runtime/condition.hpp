#pragma once

#include <weft/runtime/detail/wait_list.hpp>
#include <weft/runtime/lock.hpp>
#include <weft/runtime/task.hpp>

#include <coroutine>
#include <cstddef>
#include <memory>
#include <mutex>

namespace weft {

/// A condition variable over a weft::lock (asyncio.Condition): with the lock held, wait() releases
/// it, suspends until notify(), and takes it back before returning. Thread-safe; each waiter
/// resumes on its own loop.
class condition {
public:
    /// A condition with a lock of its own.
    condition();
    /// A condition over l, which must outlive it.
    explicit condition(weft::lock& l) noexcept : lock_(&l) {}
    condition(const condition&) = delete;
    condition& operator=(const condition&) = delete;
    ~condition();

    /// The underlying lock.
    [[nodiscard]] weft::lock& underlying_lock() const noexcept { return *lock_; }
    /// Acquires the underlying lock.
    [[nodiscard]] weft::lock::acquire_awaiter acquire() noexcept { return lock_->acquire(); }
    /// Acquires the underlying lock, released by the returned guard.
    [[nodiscard]] weft::lock::scoped_awaiter scoped_acquire() noexcept {
        return lock_->scoped_acquire();
    }
    /// Releases the underlying lock.
    void release() { lock_->release(); }
    /// Whether the underlying lock is held.
    [[nodiscard]] bool locked() const { return lock_->locked(); }

    /// Releases the lock, waits for a notification, re-acquires the lock (even when cancelled,
    /// like asyncio: the caller always leaves holding it). A waiter cancelled after it was
    /// notified passes the notification on to another waiter.
    /// @throws invalid_state_error when the lock is not held.
    [[nodiscard]] task<void> wait();

    /// Waits until pred() holds (checked with the lock held, before each wait).
    template <class Pred>
    [[nodiscard]] task<void> wait_for(Pred pred) {
        while (!pred()) {
            co_await wait();
        }
    }

    /// Wakes up to n waiters (they run once they get the lock back).
    /// @throws invalid_state_error when the lock is not held.
    void notify(std::size_t n = 1);

    /// Wakes every waiter.
    /// @throws invalid_state_error when the lock is not held.
    void notify_all();

    /// The notification wait inside wait() (releases the lock once enqueued).
    class [[nodiscard]] notified_awaiter : private detail::wait_base {
    public:
        explicit notified_awaiter(condition& c) noexcept
            : wait_base(c.mutex_, c.waiters_), c_(&c) {}
        [[nodiscard]] bool await_ready() const noexcept { return false; }
        template <class P>
        bool await_suspend(std::coroutine_handle<P> h) {
            bool suspended = false;
            {
                std::lock_guard<std::mutex> g(c_->mutex_);
                suspended = enqueue_locked(h);
            }
            // Enqueued before the lock goes, so a notify() that takes the lock after us sees us.
            c_->lock_->release();
            return suspended;
        }
        void await_resume() const { finish_wait("weft::condition::wait() was cancelled"); }

    private:
        condition* c_;
    };

private:
    void notify_locked(std::size_t n);

    std::unique_ptr<weft::lock> own_;
    weft::lock* lock_;
    std::mutex mutex_;
    detail::wait_list waiters_;
};

} // namespace weft
