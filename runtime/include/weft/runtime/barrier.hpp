#pragma once

#include <weft/runtime/detail/wait_list.hpp>
#include <weft/runtime/error.hpp>

#include <coroutine>
#include <cstddef>
#include <mutex>

namespace weft {

/// wait() on a barrier that was aborted or reset (asyncio.BrokenBarrierError).
class broken_barrier_error : public error {
public:
    using error::error;
};

/// A cyclic barrier (asyncio.Barrier): each wait() suspends until `parties` tasks are waiting, then
/// all of them go on and the barrier is ready for the next round. A cancelled waiter leaves the
/// round (it no longer counts). Thread-safe; each waiter resumes on its own loop.
class barrier {
public:
    /// A barrier for `parties` tasks.
    /// @throws invalid_state_error when parties is 0.
    explicit barrier(std::size_t parties);
    barrier(const barrier&) = delete;
    barrier& operator=(const barrier&) = delete;

    /// Awaiter returned by wait(); yields the caller's arrival index in its round (0 first).
    class [[nodiscard]] awaiter : private detail::wait_base {
    public:
        explicit awaiter(barrier& b) noexcept : wait_base(b.mutex_, b.waiters_), b_(&b) {
            on_leave_locked_ = [](detail::wait_base* w) noexcept {
                --static_cast<awaiter*>(w)->b_->count_;
            };
        }
        [[nodiscard]] bool await_ready() const noexcept { return false; }
        template <class P>
        bool await_suspend(std::coroutine_handle<P> h) {
            detail::wake_chain woken; // resumes after the guard below unlocks
            std::lock_guard<std::mutex> g(b_->mutex_);
            if (b_->broken_) {
                node_.st = detail::wait_node::status::closed;
                return false;
            }
            index_ = b_->count_;
            if (++b_->count_ == b_->parties_) {
                b_->count_ = 0; // the next round starts empty
                woken.add_all(b_->waiters_);
                return false;
            }
            if (!enqueue_locked(h)) {
                --b_->count_; // cancelled before it waited
                return false;
            }
            return true;
        }
        std::size_t await_resume() const {
            finish_wait("weft::barrier::wait() was cancelled");
            if (node_.st == detail::wait_node::status::closed) {
                throw broken_barrier_error("weft::barrier is broken (aborted or reset)");
            }
            return index_;
        }

    private:
        barrier* b_;
        std::size_t index_ = 0;
    };

    /// Waits until `parties` tasks wait; returns this task's arrival index in the round.
    /// Cancellable. @throws broken_barrier_error when the barrier is or becomes broken.
    [[nodiscard]] awaiter wait() noexcept { return awaiter{*this}; }

    /// Breaks the barrier: waiters and later wait() calls throw broken_barrier_error.
    void abort();

    /// Wakes the current waiters with broken_barrier_error and starts a fresh, unbroken round.
    void reset();

    /// The number of tasks a round needs.
    [[nodiscard]] std::size_t parties() const noexcept { return parties_; }
    /// Tasks waiting in the current round.
    [[nodiscard]] std::size_t n_waiting() const;
    /// Whether abort() was called (and no reset() since).
    [[nodiscard]] bool broken() const;

private:
    mutable std::mutex mutex_;
    detail::wait_list waiters_;
    std::size_t parties_;
    std::size_t count_ = 0;
    bool broken_ = false;
};

} // namespace weft
