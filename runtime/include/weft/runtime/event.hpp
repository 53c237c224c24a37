#pragma once

#include <weft/runtime/detail/wait_list.hpp>

#include <coroutine>
#include <mutex>

namespace weft {

/// A flag tasks can wait for (asyncio.Event): wait() suspends until set() is called. Safe to use
/// from any loop or thread; each waiter resumes on its own loop.
class event {
public:
    event() = default;
    event(const event&) = delete;
    event& operator=(const event&) = delete;

    /// Whether the flag is set.
    [[nodiscard]] bool is_set() const;

    /// Sets the flag and wakes every waiter. Thread-safe.
    void set();

    /// Clears the flag; later wait() calls suspend again. Thread-safe.
    void clear();

    /// Awaiter returned by wait().
    class [[nodiscard]] awaiter : private detail::wait_base {
    public:
        explicit awaiter(event& e) noexcept : wait_base(e.mutex_, e.waiters_), e_(&e) {}
        [[nodiscard]] bool await_ready() const noexcept { return false; }
        template <class P>
        bool await_suspend(std::coroutine_handle<P> h) {
            std::lock_guard<std::mutex> g(e_->mutex_);
            if (e_->set_) {
                return false;
            }
            return enqueue_locked(h);
        }
        void await_resume() const { finish_wait("weft::event::wait() was cancelled"); }

    private:
        event* e_;
    };

    /// Suspends until the flag is set; returns at once when it already is. Cancellable.
    [[nodiscard]] awaiter wait() noexcept { return awaiter{*this}; }

private:
    mutable std::mutex mutex_;
    detail::wait_list waiters_;
    bool set_ = false;
};

} // namespace weft
