#pragma once

// weft::timeout and weft::timeout_at: asyncio.timeout() (3.11) as a scope around a body coroutine.

#include <weft/runtime/awaitable.hpp>
#include <weft/runtime/clock.hpp>
#include <weft/runtime/detail/cancel_state.hpp>
#include <weft/runtime/detail/current_slot.hpp>
#include <weft/runtime/detail/future_state.hpp>
#include <weft/runtime/detail/loop_ops.hpp>
#include <weft/runtime/task.hpp>

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

namespace weft {

/// The deadline of a running weft::timeout() scope, handed to its body (asyncio's Timeout).
/// Loop-affine: use it from the body, on its loop.
class timeout_scope {
public:
    timeout_scope() noexcept = default;
    timeout_scope(const timeout_scope&) = delete;
    timeout_scope& operator=(const timeout_scope&) = delete;
    ~timeout_scope();

    /// The deadline, or none.
    [[nodiscard]] std::optional<clock::time_point> when() const noexcept { return when_; }

    /// Moves the deadline (none: no deadline); a deadline already past expires it soon.
    /// @throws invalid_state_error once it expired or the scope ended (as asyncio).
    void reschedule(std::optional<clock::time_point> when);

    /// Whether the deadline passed and the scope cancelled its task.
    [[nodiscard]] bool expired() const noexcept { return state_ != state::entered; }

    /// Scope machinery (weft::timeout): starts it in the task whose cancellation slot is given.
    void enter(detail::cancel_state* slot, std::optional<clock::time_point> when);
    /// Scope machinery: ends it; returns what the scope throws given what the body threw.
    [[nodiscard]] std::exception_ptr exit(std::exception_ptr body_error) noexcept;

private:
    enum class state : std::uint8_t { entered, expiring, expired };
    struct timer_entry : detail::timer_node {
        timeout_scope* self = nullptr;
    };
    void arm();
    void disarm() noexcept;
    static void on_deadline(detail::timer_node* n) noexcept;

    timer_entry timer_;
    detail::cancel_state* slot_ = nullptr;
    loop* loop_ = nullptr;
    std::optional<clock::time_point> when_;
    std::uint32_t cancels_before_ = 0;
    state state_ = state::entered;
    bool exited_ = false;
};

namespace detail {

template <class F>
decltype(auto) call_timeout_body(F& body, timeout_scope& scope) {
    if constexpr (std::is_invocable_v<F&, timeout_scope&>) {
        return std::invoke(body, scope);
    } else {
        return std::invoke(body);
    }
}

template <class F>
using timeout_body_t =
    std::conditional_t<std::is_invocable_v<F&, timeout_scope&>,
                       std::invoke_result<F&, timeout_scope&>, std::invoke_result<F&>>;

template <class F>
using timeout_result_t = await_result_t<typename timeout_body_t<F>::type>;

template <class R, class F>
task<R> timeout_impl(std::optional<clock::time_point> when, F body) {
    timeout_scope scope;
    scope.enter(co_await current_slot{}, when);
    std::optional<stored_t<R>> value;
    std::exception_ptr error;
    try {
        if constexpr (std::is_void_v<R>) {
            co_await call_timeout_body(body, scope);
            value.emplace();
        } else {
            value.emplace(co_await call_timeout_body(body, scope));
        }
    } catch (...) {
        error = std::current_exception();
    }
    if (std::exception_ptr e = scope.exit(std::move(error))) {
        std::rethrow_exception(e);
    }
    if constexpr (!std::is_void_v<R>) {
        co_return std::move(*value);
    }
}

} // namespace detail

/// Runs body with a deadline d from now (asyncio.timeout): when it passes, the awaiting task is
/// cancelled (the body's current await throws cancelled_error), and the scope turns that
/// cancellation into weft::timeout_error once the body has unwound. body is a callable returning
/// an awaitable (a task), taking a weft::timeout_scope& (to read or move the deadline) or nothing.
///
///     std::string page = co_await weft::timeout(2s, [&]() -> weft::task<std::string> {
///         co_return co_await fetch(url);
///     });
///
/// Nested scopes behave as asyncio's: the scope whose deadline passed throws timeout_error; a
/// cancellation from outside, or from an outer scope, passes through as cancelled_error. A body
/// that swallows the cancellation and returns gives its value. Unlike wait_for, the body runs in
/// the awaiting task itself (no child task): it is the asyncio 3.11 form, for a block of awaits.
/// C++ has no asynchronous destructor, so the scope is a call around a body rather than a block.
/// @throws timeout_error when the deadline passed and the body ended by that cancellation.
/// @throws invalid_state_error when not awaited from a weft task.
template <class F, class Rep, class Period>
[[nodiscard]] task<detail::timeout_result_t<F>> timeout(std::chrono::duration<Rep, Period> d,
                                                        F body) {
    loop* l = detail::current_loop_ptr();
    const clock::time_point now = l != nullptr ? detail::loop_time(*l) : clock::now();
    return detail::timeout_impl<detail::timeout_result_t<F>>(
        now + std::chrono::duration_cast<clock::duration>(d), std::move(body));
}

/// timeout() with an absolute deadline on the loop's clock (asyncio.timeout_at); none: no
/// deadline, until reschedule() sets one.
template <class F>
[[nodiscard]] task<detail::timeout_result_t<F>> timeout_at(std::optional<clock::time_point> when,
                                                           F body) {
    return detail::timeout_impl<detail::timeout_result_t<F>>(when, std::move(body));
}

} // namespace weft
