#pragma once

#include <weft/runtime/clock.hpp>
#include <weft/runtime/detail/cancel_state.hpp>
#include <weft/runtime/detail/loop_ops.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/task.hpp>

#include <chrono>
#include <coroutine>

namespace weft {

namespace detail {

/// What every cancellable suspension of the loop shares: it takes a pending cancellation instead
/// of suspending, installs its hook while suspended, and throws cancelled_error when resumed by a
/// cancellation.
class cancellable_wait {
protected:
    /// False when a cancellation was pending: do not suspend (await_resume throws).
    template <class P>
    bool enter(std::coroutine_handle<P> h) noexcept {
        slot_ = cancel_slot_of(h);
        if (slot_ != nullptr && slot_->consume()) {
            cancelled_ = true;
            return false;
        }
        return true;
    }

    void arm_hook(cancel_state::hook_fn hook, void* self) noexcept {
        if (slot_ != nullptr) {
            slot_->set_hook(hook, self);
        }
    }

    void leave(const char* what) {
        if (slot_ != nullptr) {
            slot_->clear_hook();
        }
        if (cancelled_) {
            throw cancelled_in(slot_, what);
        }
    }

    cancel_state* slot_ = nullptr;
    bool cancelled_ = false;
};

/// Suspends until a deadline on the current loop's timer heap (no allocation: the heap entry lives
/// in the awaiter, inside the coroutine frame). Cancellable.
class sleep_awaiter : private timer_node, private cancellable_wait {
public:
    explicit sleep_awaiter(clock::time_point t) noexcept { deadline = t; }

    [[nodiscard]] bool await_ready() const noexcept { return false; }

    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
        if (!enter(h)) {
            return false;
        }
        h_ = h;
        fire = [](timer_node* n) noexcept {
            // Timers fire on their loop's thread, which is the awaiting task's loop.
            schedule(*current_loop_ptr(), resume_runnable(static_cast<sleep_awaiter*>(n)->h_));
        };
        add_timer(require_loop(), this);
        arm_hook(&on_cancel, this);
        return true;
    }

    void await_resume() { leave("sleep was cancelled"); }

private:
    // Cancel hooks run on the chain's home loop, the loop this timer lives on.
    static bool on_cancel(void* p) noexcept {
        auto* self = static_cast<sleep_awaiter*>(p);
        if (!self->armed()) {
            return false; // already fired: its resumption is queued, the request stays pending
        }
        loop& l = *current_loop_ptr();
        remove_timer(l, self);
        self->cancelled_ = true;
        schedule(l, resume_runnable(self->h_));
        return true;
    }

    static loop& require_loop() {
        loop* l = current_loop_ptr();
        if (l == nullptr) {
            throw invalid_state_error("weft::sleep() awaited outside a weft loop");
        }
        return *l;
    }

    std::coroutine_handle<> h_;
};

/// Re-queues the awaiting coroutine at the back of its loop's ready queue. Cancellable.
class yield_awaiter : private cancellable_wait {
public:
    [[nodiscard]] bool await_ready() const noexcept { return false; }

    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
        if (!enter(h)) {
            return false;
        }
        loop* l = current_loop_ptr();
        if (l == nullptr) {
            throw invalid_state_error("weft::yield() awaited outside a weft loop");
        }
        schedule(*l, resume_runnable(h));
        arm_hook(
            [](void* p) noexcept {
                static_cast<yield_awaiter*>(p)->cancelled_ = true; // already queued
                return true;
            },
            this);
        return true;
    }

    void await_resume() { leave("yield was cancelled"); }
};

} // namespace detail

/// Suspends the calling task until the loop's clock reaches t (asyncio.sleep with a deadline).
[[nodiscard]] inline detail::sleep_awaiter sleep_until(clock::time_point t) noexcept {
    return detail::sleep_awaiter{t};
}

/// Suspends the calling task for d (asyncio.sleep). sleep(0) still lets other tasks run once.
template <class Rep, class Period>
[[nodiscard]] detail::sleep_awaiter sleep(std::chrono::duration<Rep, Period> d) noexcept {
    loop* l = detail::current_loop_ptr();
    clock::time_point now = l != nullptr ? detail::loop_time(*l) : clock::now();
    return detail::sleep_awaiter{now + std::chrono::duration_cast<clock::duration>(d)};
}

/// Lets every other ready task run once before the caller continues (asyncio.sleep(0)).
[[nodiscard]] inline detail::yield_awaiter yield() noexcept {
    return {};
}

} // namespace weft
