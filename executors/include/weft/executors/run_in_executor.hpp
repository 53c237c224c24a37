#pragma once

#include <weft/executors/detail/executor_core.hpp>
#include <weft/executors/executor.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/task.hpp>

#include <cstddef>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace weft {

/// Names the runtime's shared executor (a tbb_pool) in run_in_executor, like asyncio's None.
struct default_executor_t {
    explicit constexpr default_executor_t() = default;
};
/// The runtime's shared executor.
inline constexpr default_executor_t default_executor{};

/// The counters of the runtime's shared executor (made now if no call has used it yet), for
/// monitoring (weft::metrics exports them as executor="default").
/// @throws invalid_state_error outside a loop.
[[nodiscard]] executor_stats default_executor_stats();

namespace detail {

/// The default executor of the current runtime, made on first use with options.blocking_threads
/// (or WEFT_BLOCKING_THREADS) workers.
/// @throws invalid_state_error outside a loop.
[[nodiscard]] executor_core& default_executor_core();

/// Binds fn and args by value into a nullary callable that runs once. The stored arguments are
/// moved into the call when fn accepts rvalues (move-only arguments, no copy for by-value
/// parameters), else passed as lvalues (fn taking `T&` sees the stored copy).
template <class F, class... Args>
auto bind_call(F&& fn, Args&&... args) {
    using Fn = std::decay_t<F>;
    constexpr bool by_rvalue = std::is_invocable_v<Fn&&, std::decay_t<Args>&&...>;
    static_assert(by_rvalue || std::is_invocable_v<Fn&, std::decay_t<Args>&...>,
                  "run_in_executor: fn is not invocable with these arguments (they are passed as "
                  "stored values; use std::ref to pass a reference on purpose)");
    return [f = Fn(std::forward<F>(fn)), tup = std::tuple<std::decay_t<Args>...>(std::forward<Args>(
                                             args)...)]() mutable -> decltype(auto) {
        if constexpr (by_rvalue) {
            return std::apply(std::move(f), std::move(tup));
        } else {
            return std::apply(f, tup);
        }
    };
}

template <class R>
task<void> admit_when_room(executor_core& core, unique_function<void()> job, future<R> call) {
    // Waits for room in a bounded queue without blocking the loop; gives up when the call was
    // cancelled meanwhile or the executor shut down (the call's future then carries the error).
    for (;;) {
        if (call.state().cancel_claimed()) {
            co_return;
        }
        future<void> room = core.when_room();
        try {
            if (core.try_accept(job)) {
                co_return;
            }
        } catch (...) {
            auto& s = call.state();
            if (s.try_claim_for_producer()) {
                s.store_exception(std::current_exception());
                s.complete();
            }
            co_return;
        }
        co_await room;
    }
}

/// Submits fn(args...) to core and returns its future, waiting for room asynchronously when the
/// queue is bounded and full and the caller runs on a loop.
template <class F, class... Args>
auto run_on(executor_core& core, F&& fn, Args&&... args) {
    auto call = bind_call(std::forward<F>(fn), std::forward<Args>(args)...);
    using R = std::invoke_result_t<decltype(call)&>;
    promise<R> p;
    future<R> f = p.get_future();
    unique_function<void()> job{call_job<R, decltype(call)>(std::move(call), std::move(p), &core)};
    if (!core.try_accept(job)) {
        if (current_loop_ptr() == nullptr) {
            core.accept(std::move(job)); // not on a loop: blocking for room is fine
        } else {
            (void)create_task(admit_when_room<R>(core, std::move(job), f));
        }
    }
    return f;
}

template <class E>
concept has_core = requires(E& e) {
    { e.core() } -> std::same_as<executor_core&>;
};

} // namespace detail

/// Runs fn(args...) on the executor and returns its future (loop.run_in_executor): awaiting it
/// gives what fn returned or rethrows what it threw, in the awaiting task, on its own loop.
/// Arguments are bound by value at the call, so nothing dangles while the task is suspended;
/// std::ref is the explicit opt-out. Cancelling the awaiting task cancels a call that has not
/// started (it never runs); a call already running finishes on its thread and its result is
/// discarded, while the awaiter sees cancelled_error at once.
/// @throws executor_shut_down when the executor was shut down.
template <class E, class F, class... Args>
requires detail::has_core<E>
[[nodiscard]] auto run_in_executor(E& executor, F&& fn, Args&&... args) {
    return detail::run_on(executor.core(), std::forward<F>(fn), std::forward<Args>(args)...);
}

/// run_in_executor on the runtime's shared executor (`nullptr` as in asyncio).
template <class F, class... Args>
[[nodiscard]] auto run_in_executor(std::nullptr_t, F&& fn, Args&&... args) {
    return detail::run_on(detail::default_executor_core(), std::forward<F>(fn),
                          std::forward<Args>(args)...);
}

/// run_in_executor on the runtime's shared executor.
template <class F, class... Args>
[[nodiscard]] auto run_in_executor(default_executor_t, F&& fn, Args&&... args) {
    return detail::run_on(detail::default_executor_core(), std::forward<F>(fn),
                          std::forward<Args>(args)...);
}

/// Runs fn(args...) on the runtime's shared executor (asyncio.to_thread).
template <class F, class... Args>
[[nodiscard]] auto to_thread(F&& fn, Args&&... args) {
    return run_in_executor(nullptr, std::forward<F>(fn), std::forward<Args>(args)...);
}

} // namespace weft
