#pragma once

#include <weft/runtime/awaitable.hpp>
#include <weft/runtime/detail/unique_function.hpp>
#include <weft/runtime/loop.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <optional>
#include <utility>

namespace weft {

/// How weft::run() builds its runtime.
struct options {
    /// Number of event loops, one thread each; 0 = WEFT_LOOPS from the environment, else one per
    /// hardware thread.
    std::size_t loops = 0;
    /// Pin loop i's thread to CPU i (modulo the CPU count).
    bool pin_threads = false;
    /// At exit, log a warning when cancelled tasks take longer than this to unwind.
    std::chrono::milliseconds shutdown_warning{5000};
    /// Threads of the default executor (weft::to_thread, run_in_executor(nullptr, ...)); 0 =
    /// WEFT_BLOCKING_THREADS from the environment, else max(32, cores + 4) as asyncio's default
    /// pool, so that blocking calls run in parallel.
    std::size_t blocking_threads = 0;
    /// At exit, how long to wait for calls still queued or running on the default executor before
    /// giving up on them (they are logged and left to finish on their own).
    std::chrono::milliseconds shutdown_timeout{10000};
    /// Debug mode (also on with WEFT_DEBUG=1): warns about tasks destroyed without ever being
    /// awaited or scheduled, loop steps slower than slow_callback (naming the coroutine), and
    /// futures whose exception nobody retrieved (asyncio's debug mode).
    bool debug = false;
    /// A loop step longer than this counts as a stall (loop_stats::stalls, always on) and, in
    /// debug mode, logs a warning: the "blocking call on the event loop" detector.
    std::chrono::milliseconds slow_callback{100};
    /// Real time, or virtual time that moves only with weft::advance() (tests).
    clock_kind clock = clock_kind::real;
    /// SIGINT and SIGTERM during weft::run() cancel the main task, so the program unwinds and
    /// run() returns (rethrowing cancelled_error unless the main task handles it); a second one
    /// while it unwinds ends the process the default way. add_signal_handler() overrides this
    /// per signal.
    bool handle_signals = true;
};

namespace detail {

/// Builds the runtime, runs body(loop 0) on this thread, then stops and joins the other loops.
void run_main(const options& opts, unique_function<void(loop&)> body);

/// Cancels every task still alive on every loop of the current runtime (but the main one) and
/// waits until they have unwound.
task<void> shutdown_runtime();

template <class T>
task<T> with_shutdown(task<T> main) {
    std::exception_ptr error;
    std::optional<stored_t<T>> value;
    try {
        if constexpr (std::is_void_v<T>) {
            co_await std::move(main);
        } else {
            value.emplace(co_await std::move(main));
        }
    } catch (...) {
        error = std::current_exception();
    }
    co_await shutdown_runtime();
    if (error) {
        std::rethrow_exception(error);
    }
    if constexpr (!std::is_void_v<T>) {
        co_return std::move(*value);
    }
}

} // namespace detail

/// Runs the awaitable on loop 0 of a fresh runtime of options.loops event loops and returns its
/// result or rethrows its exception (asyncio.run). On the way out it cancels every task still
/// pending on any loop, waits for them to unwind and joins all loop threads. Loop 0 runs on the
/// calling thread.
/// @throws invalid_state_error when called from inside a running loop.
template <class A>
requires awaitable<A> await_result_t<A> run(A&& aw, options opts = {}) {
    using R = await_result_t<A>;
    if (detail::current_loop_ptr() != nullptr) {
        throw invalid_state_error(
            "weft::run() called from inside a running loop; co_await the work or create_task() it");
    }
    task<R> main = detail::with_shutdown(detail::as_task(std::forward<A>(aw)));
    std::optional<detail::stored_t<R>> result;
    detail::run_main(opts, [&](loop& l0) {
        if constexpr (std::is_void_v<R>) {
            l0.run_until_complete(std::move(main));
        } else {
            result.emplace(l0.run_until_complete(std::move(main)));
        }
    });
    if constexpr (!std::is_void_v<R>) {
        return std::move(*result);
    }
}

} // namespace weft
