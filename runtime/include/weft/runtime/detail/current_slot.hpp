#pragma once

// The cancellation slot of the awaiting chain, for scopes that cancel the task they run in
// (with_task_group, timeout).

#include <weft/runtime/detail/cancel_state.hpp>
#include <weft/runtime/task.hpp>

#include <coroutine>

namespace weft::detail {

/// `co_await current_slot{}` gives the awaiting chain's cancellation slot (null when the awaiting
/// coroutine is not a weft task), without suspending.
struct current_slot {
    cancel_state* slot = nullptr;
    [[nodiscard]] bool await_ready() const noexcept { return false; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
        slot = cancel_slot_of(h);
        return false;
    }
    [[nodiscard]] cancel_state* await_resume() const noexcept { return slot; }
};

} // namespace weft::detail
