#pragma once

#include <weft/runtime/awaitable.hpp>
#include <weft/runtime/detail/root.hpp>
#include <weft/runtime/future.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <utility>

namespace weft {

/// How create_task / spawn / spawn_on start a task.
struct task_options {
    /// The task's name (asyncio's create_task(coro, name=...)), shown by future::name(), debug
    /// mode's slow-step warnings and all_tasks(). Empty: the task has no name and costs nothing
    /// for it; weft does not invent asyncio's "Task-N" (debug mode names the coroutine instead).
    std::string name;
};

/// The loop running on this thread (asyncio.get_running_loop).
/// @throws invalid_state_error when no weft loop runs on this thread.
[[nodiscard]] loop& current_loop();

namespace detail {

/// Loop number index of the current runtime (the current loop itself when stand-alone).
[[nodiscard]] loop& loop_at(std::size_t index);

/// The current runtime's loop with the fewest live tasks.
[[nodiscard]] loop& least_busy_loop();

/// Hands the task to l as a new root and returns its future. Safe from any thread.
template <class T>
future<T> start_root(loop& l, task<T> t, bool main = false, task_options* opts = nullptr) {
    std::unique_ptr<task_extra> extra;
    if (opts != nullptr && !opts->name.empty()) {
        extra = std::make_unique<task_extra>();
        extra->name = std::move(opts->name);
    }
    auto* r = new task_root<T>(l, t.release());
    r->main_ = main;
    r->extra_ = std::move(extra);
    root_reserved(l);
    if (current_loop_ptr() == &l) {
        schedule(l, r->start_runnable());
    } else if (debug_enabled()) {
        post(l, [r] { schedule(r->home(), r->start_runnable()); }); // a step debug mode can name
    } else {
        post(l, [r] { r->start(); });
    }
    return future<T>{r};
}

} // namespace detail

/// Schedules the awaitable as a task on the current loop, to start soon, and returns its future
/// (asyncio.create_task). The task runs concurrently with the caller until it finishes; await the
/// future for its result, cancel() it to stop it. weft::run() cancels and awaits it on exit.
/// @throws invalid_state_error when not called on a loop thread.
template <class A>
requires awaitable<A> future<await_result_t<A>> create_task(A&& aw) {
    return detail::start_root(current_loop(), detail::as_task(std::forward<A>(aw)));
}

/// create_task with options: `create_task(fetch(), {.name = "fetch"})`.
template <class A>
requires awaitable<A> future<await_result_t<A>> create_task(A&& aw, task_options opts) {
    return detail::start_root(current_loop(), detail::as_task(std::forward<A>(aw)), false, &opts);
}

/// A future returned as is; any other awaitable scheduled with create_task (asyncio.ensure_future).
template <class A>
requires awaitable<A> future<await_result_t<A>> ensure_future(A&& aw) {
    if constexpr (detail::is_future<std::remove_cvref_t<A>>::value) {
        return std::forward<A>(aw);
    } else {
        return create_task(std::forward<A>(aw));
    }
}

/// Schedules the awaitable on the least busy loop of the current runtime (fewest live tasks).
template <class A>
requires awaitable<A> future<await_result_t<A>> spawn(A&& aw) {
    return detail::start_root(detail::least_busy_loop(), detail::as_task(std::forward<A>(aw)));
}

/// spawn with options (a task name).
template <class A>
requires awaitable<A> future<await_result_t<A>> spawn(A&& aw, task_options opts) {
    return detail::start_root(detail::least_busy_loop(), detail::as_task(std::forward<A>(aw)),
                              false, &opts);
}

/// Schedules the awaitable on loop number loop_index of the current runtime.
/// @throws invalid_state_error when loop_index is out of range.
template <class A>
requires awaitable<A> future<await_result_t<A>> spawn_on(std::size_t loop_index, A&& aw) {
    return detail::start_root(detail::loop_at(loop_index), detail::as_task(std::forward<A>(aw)));
}

/// spawn_on with options (a task name).
template <class A>
requires awaitable<A> future<await_result_t<A>> spawn_on(std::size_t loop_index, A&& aw,
                                                         task_options opts) {
    return detail::start_root(detail::loop_at(loop_index), detail::as_task(std::forward<A>(aw)),
                              false, &opts);
}

} // namespace weft
