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
///
/// As asyncio's, it moves through four states. *Filling*: wait() joins the round. *Draining*: the
/// round was released and its tasks have not all resumed yet; a wait() meanwhile (a task of the
/// round coming back at once, say) blocks until the round has drained, then joins the next one.
/// *Resetting*: reset() was called while tasks were inside; they throw broken_barrier_error, and
/// the barrier fills again once they have all left. *Broken*: abort() was called; every task
/// inside and every later wait() throws broken_barrier_error until reset().
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
            node_.data = this;
            on_leave_locked_ = [](detail::wait_base* w) noexcept {
                auto* self = static_cast<awaiter*>(w);
                if (self->where_ == where::in_round) {
                    --self->b_->count_; // filling: nothing else changes
                }
                self->where_ = where::out;
            };
        }
        [[nodiscard]] bool await_ready() const noexcept { return false; }
        template <class P>
        bool await_suspend(std::coroutine_handle<P> h) {
            detail::wake_chain woken; // resumes after the guard below unlocks
            std::lock_guard<std::mutex> g(b_->mutex_);
            if (b_->state_ == state::broken) {
                node_.st = detail::wait_node::status::closed;
                return false;
            }
            if (b_->state_ != state::filling) {
                list_ = &b_->blocked_; // wait for the round in progress to drain
                where_ = where::blocked;
            } else if (b_->arrive_locked(*this, woken)) {
                return false; // the last party: released the round, and is out already
            } else {
                list_ = &b_->waiters_;
            }
            if (!enqueue_locked(h)) {
                b_->leave_locked(*this); // cancelled before it waited
                return false;
            }
            return true;
        }
        std::size_t await_resume() { return b_->finish(*this); }

    private:
        friend class barrier;
        enum class where : unsigned char { out, blocked, in_round, released };
        barrier* b_;
        std::size_t index_ = 0;
        where where_ = where::out;
    };

    /// Waits until `parties` tasks wait; returns this task's arrival index in the round.
    /// Cancellable. @throws broken_barrier_error when the barrier is or becomes broken, or is reset
    /// while this task is in a round (waiting, or released and not yet resumed).
    [[nodiscard]] awaiter wait() noexcept { return awaiter{*this}; }

    /// Breaks the barrier: the tasks inside and later wait() calls throw broken_barrier_error.
    void abort();

    /// Puts the barrier back to filling: the tasks in a round throw broken_barrier_error (it fills
    /// again once they have left); a broken barrier is mended.
    void reset();

    /// The number of tasks a round needs.
    [[nodiscard]] std::size_t parties() const noexcept { return parties_; }
    /// Tasks waiting in the round being filled (0 while a round drains or resets, as asyncio).
    [[nodiscard]] std::size_t n_waiting() const;
    /// Whether abort() was called (and no reset() since).
    [[nodiscard]] bool broken() const;

private:
    enum class state : unsigned char { filling, draining, resetting, broken };

    /// Counts a into the round; true when it completed the round (a is then released and out).
    bool arrive_locked(awaiter& a, detail::wake_chain& woken) noexcept;
    /// a leaves the barrier (before waiting, or on resuming): uncounts it; the last task out of a
    /// draining or resetting round unblocks the blocked ones.
    void leave_locked(awaiter& a) noexcept;
    /// The barrier fills again: every blocked task tries again once it gets to run on its loop
    /// (as asyncio's re-check after notify_all), in arrival order. Posted after the mutex is
    /// released, by flush_retries().
    void unblock_locked() noexcept;
    void flush_retries() noexcept;
    /// A blocked task's new try, on its loop: joins the round, or blocks again.
    void retry(awaiter& a) noexcept;
    std::size_t finish(awaiter& a);

    mutable std::mutex mutex_;
    detail::wait_list waiters_;            ///< the round being filled
    detail::wait_list blocked_;            ///< arrived while a round drained or reset
    detail::wait_node* retries_ = nullptr; ///< unblocked, their new try not posted yet (mutex)
    std::size_t parties_;
    std::size_t count_ = 0; ///< tasks in the round: waiting, or released and not yet resumed
    state state_ = state::filling;
};

} // namespace weft
