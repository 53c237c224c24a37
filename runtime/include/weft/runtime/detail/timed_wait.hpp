#pragma once

// The part that weft::wait() and as_completed's next() share: an await that a cancel of the
// awaiting task and an optional deadline can both end, besides the completions it waits for. Each
// subclass decides, under its own claim or lock, which of the three resumes the task; this base
// holds the task's slot, loop and handle and sets up and takes down the timer and the hook.

#include <weft/runtime/clock.hpp>
#include <weft/runtime/detail/cancel_state.hpp>
#include <weft/runtime/detail/loop_ops.hpp>

#include <coroutine>
#include <optional>

namespace weft::detail {

class timed_wait : protected timer_node {
protected:
    using timeout_fn = void (*)(timer_node*) noexcept;
    using cancel_fn = bool (*)(void*) noexcept;

    /// Takes a cancel already asked of the awaiting task: true means do not suspend (cancelled_
    /// is set, await_resume throws). Otherwise records the task's slot, loop and handle.
    /// @throws invalid_state_error outside a weft loop, naming `who`.
    bool cancelled_at_start(std::coroutine_handle<> h, cancel_state* slot, const char* who);
    /// Once the task is registered to be resumed: starts the timer (with a deadline) and hooks
    /// the task's cancellation slot. Both run on the home loop.
    void arm(std::optional<clock::time_point> when, timeout_fn on_timeout, cancel_fn on_cancel,
             void* self);
    /// Before the task goes on: takes down what arm() set up.
    void disarm() noexcept;
    /// From a cancel hook that won the resumption: stops the timer, marks the cancel and queues
    /// the task on its loop.
    void resume_cancelled() noexcept;

    cancel_state* slot_ = nullptr;
    std::coroutine_handle<> h_;
    loop* home_ = nullptr;
    bool cancelled_ = false;
};

} // namespace weft::detail
