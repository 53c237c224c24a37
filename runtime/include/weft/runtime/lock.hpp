#pragma once

#include <weft/runtime/detail/wait_list.hpp>

#include <coroutine>
#include <mutex>
#include <utility>

namespace weft {

/// An async mutex (asyncio.Lock): acquire() suspends the task, never the loop. Fair: release()
/// hands the lock straight to the longest waiter, so no newcomer can barge in. Not re-entrant and
/// not owned by a task: any task (on any loop, or any thread) may release it. Thread-safe; each
/// waiter resumes on its own loop.
class lock {
public:
    lock() = default;
    lock(const lock&) = delete;
    lock& operator=(const lock&) = delete;

    /// Releases the lock on destruction, unless moved from or released early.
    class [[nodiscard]] guard {
    public:
        /// Adopts a lock the caller holds.
        explicit guard(lock& l) noexcept : l_(&l) {}
        guard(guard&& o) noexcept : l_(std::exchange(o.l_, nullptr)) {}
        guard& operator=(guard o) noexcept {
            std::swap(l_, o.l_);
            return *this;
        }
        ~guard() { unlock(); }
        /// Releases the lock now (once).
        void unlock() {
            if (l_ != nullptr) {
                std::exchange(l_, nullptr)->release();
            }
        }
        /// Whether this guard still holds its lock.
        [[nodiscard]] bool owns_lock() const noexcept { return l_ != nullptr; }

    private:
        lock* l_;
    };

    /// Awaiter returned by acquire().
    class [[nodiscard]] acquire_awaiter : private detail::wait_base {
    public:
        explicit acquire_awaiter(lock& l) noexcept : wait_base(l.mutex_, l.waiters_), l_(&l) {}
        [[nodiscard]] bool await_ready() const noexcept { return false; }
        template <class P>
        bool await_suspend(std::coroutine_handle<P> h) {
            std::lock_guard<std::mutex> g(l_->mutex_);
            if (!l_->locked_) {
                l_->locked_ = true;
                return false;
            }
            return enqueue_locked(h);
        }
        void await_resume() const { finish_wait("weft::lock::acquire() was cancelled"); }

    protected:
        lock* l_;
    };

    /// Awaiter returned by scoped_acquire().
    class [[nodiscard]] scoped_awaiter : public acquire_awaiter {
    public:
        using acquire_awaiter::acquire_awaiter;
        guard await_resume() const {
            acquire_awaiter::await_resume();
            return guard{*l_};
        }
    };

    /// Suspends until the lock is this caller's; at once when it is free. Cancellable: a cancelled
    /// waiter never holds the lock. Pair with release(), or use scoped_acquire().
    [[nodiscard]] acquire_awaiter acquire() noexcept { return acquire_awaiter{*this}; }

    /// Like acquire(), returning a guard that releases the lock at scope exit (`async with lock`).
    [[nodiscard]] scoped_awaiter scoped_acquire() noexcept { return scoped_awaiter{*this}; }

    /// Takes the lock if it is free now.
    [[nodiscard]] bool try_acquire();

    /// Releases the lock, handing it to the longest waiter if any. Thread-safe.
    /// @throws invalid_state_error when the lock is not held.
    void release();

    /// Whether someone holds the lock.
    [[nodiscard]] bool locked() const;

private:
    mutable std::mutex mutex_;
    detail::wait_list waiters_;
    bool locked_ = false;
};

} // namespace weft
