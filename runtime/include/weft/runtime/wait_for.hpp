#pragma once

#include <weft/runtime/awaitable.hpp>
#include <weft/runtime/detail/child_group.hpp>
#include <weft/runtime/detail/loop_ops.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/task.hpp>

#include <chrono>
#include <string>
#include <type_traits>
#include <utility>

namespace weft {

namespace detail {

[[noreturn]] void throw_timed_out(clock::duration timeout, bool started);

template <class T>
task<T> wait_for_impl(task<T> t, clock::duration timeout) {
    if (timeout <= clock::duration::zero()) {
        // As asyncio: no time to run at all, so it never starts (and is not reported as a task
        // nobody awaited: wait_for took it).
        t.release().destroy();
        throw_timed_out(timeout, false);
    }
    child<T> c;
    child_base* ptr = &c;
    child_group group(&ptr, 1, child_group::mode::fail_fast);
    c.init(std::move(t), &group);
    loop* l = current_loop_ptr();
    group.set_deadline((l != nullptr ? loop_time(*l) : clock::now()) + timeout);
    co_await group;
    if (group.outer_cancelled()) {
        throw cancelled_error("wait_for was cancelled");
    }
    if (group.timed_out() && c.result().cancelled()) {
        throw_timed_out(timeout, true);
    }
    if constexpr (std::is_void_v<T>) {
        (void)c.result().value();
    } else {
        co_return std::move(c.result()).value();
    }
}

/// wait_for(future, 0 or less): a done future's result at once; otherwise the future is cancelled
/// and awaited, and its result returned if it completed anyway (asyncio's wait_for).
template <class T>
task<T> wait_for_now(future<T> f) {
    if (!f.done()) {
        (void)f.cancel();
    }
    try {
        co_return co_await std::move(f);
    } catch (const cancelled_error&) {
        if (!f.valid() || !f.cancelled()) {
            throw;
        }
    }
    throw_timed_out(clock::duration::zero(), true);
}

template <class T>
task<T> shield_impl(task<T> t) {
    child<T> c;
    child_base* ptr = &c;
    child_group group(&ptr, 1, child_group::mode::shield);
    c.init(std::move(t), &group);
    co_await group;
    if constexpr (std::is_void_v<T>) {
        (void)c.result().value();
    } else {
        co_return std::move(c.result()).value();
    }
}

} // namespace detail

/// Awaits aw for at most timeout (asyncio.wait_for). On timeout it cancels aw, waits until it has
/// unwound, then throws timeout_error. If aw completes anyway (it caught the cancellation and
/// returned), its result is returned. A timeout of zero or less, as in asyncio, never starts a
/// task or other awaitable (timeout_error at once), and returns a done future's result, else
/// cancels the future and waits for it.
/// @throws timeout_error when the deadline passed and aw ended cancelled.
template <class A, class Rep, class Period>
requires awaitable<A>
[[nodiscard]] task<await_result_t<A>> wait_for(A&& aw, std::chrono::duration<Rep, Period> timeout) {
    const auto d = std::chrono::duration_cast<clock::duration>(timeout);
    if constexpr (detail::is_future<std::remove_cvref_t<A>>::value) {
        if (d <= clock::duration::zero()) {
            return detail::wait_for_now(std::remove_cvref_t<A>(std::forward<A>(aw)));
        }
    }
    return detail::wait_for_impl(detail::as_task(std::forward<A>(aw)), d);
}

/// Protects aw from the awaiting task's cancellation (asyncio.shield): aw runs to completion and
/// its result is returned; a cancel that arrives meanwhile stays pending and surfaces as
/// cancelled_error at the task's next suspension point. Unlike asyncio, the awaiting task does not
/// leave aw running behind it: nothing outlives its awaiter.
template <class A>
requires awaitable<A>
[[nodiscard]] task<await_result_t<A>> shield(A&& aw) {
    return detail::shield_impl(detail::as_task(std::forward<A>(aw)));
}

} // namespace weft
