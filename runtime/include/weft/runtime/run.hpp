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

/// What weft::run() does when SIGINT or SIGTERM (options::handle_signals) cancelled the main task
/// and the main task ended by that cancellation (it let cancelled_error out).
enum class interrupt_action {
    /// Unwind everything as for any exit of run(), then end the process by that same signal with
    /// its default action, as Python does after an unhandled KeyboardInterrupt: the shell sees
    /// 128 + signal (130 for SIGINT, 143 for SIGTERM). C stdio and the standard iostreams are
    /// flushed first; the code after run(), static destructors and atexit handlers do not run.
    raise_signal,
    /// Unwind everything, then throw weft::interrupted (its signal() says which) from run(), for a
    /// program that has more to do after run(): report, then weft::exit_by_signal(e.signal()).
    throw_interrupted,
};

/// Thrown by weft::run() with interrupt_action::throw_interrupted once SIGINT or SIGTERM ended
/// its main task (asyncio.run's KeyboardInterrupt). Like cancelled_error, not a std::exception:
/// a generic `catch (const std::exception&)` does not swallow an interrupt.
class interrupted final {
public:
    explicit interrupted(int sig) noexcept : sig_(sig) {}
    /// The signal number (SIGINT or SIGTERM).
    [[nodiscard]] int signal() const noexcept { return sig_; }
    /// "interrupted by SIGINT" or "interrupted by SIGTERM".
    [[nodiscard]] const char* what() const noexcept;

private:
    int sig_;
};

/// Ends the process by signal sig with its default action (what interrupt_action::raise_signal
/// does after unwinding): flushes C stdio and the standard iostreams, restores the default
/// disposition, unblocks sig and raises it; exits with 128 + sig should the signal not end it.
[[noreturn]] void exit_by_signal(int sig) noexcept;

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
    /// WEFT_BLOCKING_THREADS from the environment, else max(32, cores + 4): a floor of 32 threads
    /// (asyncio's default pool caps at min(32, cores + 4)), so that blocking calls run in parallel
    /// even on a small machine.
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
    /// SIGINT and SIGTERM during weft::run() cancel the main task, so the program unwinds; when
    /// the main task ends by that cancellation, run() cancels the other tasks, waits for them and
    /// then does what on_interrupt says (by default: the process ends by that signal, status
    /// 130/143). A main task that catches cancelled_error and returns makes run() return as usual.
    /// A second signal while it unwinds ends the process the default way at once.
    /// add_signal_handler() overrides this per signal.
    bool handle_signals = true;
    /// What run() does once a SIGINT/SIGTERM ended the main task (see handle_signals).
    interrupt_action on_interrupt = interrupt_action::raise_signal;
};

namespace detail {

/// Builds the runtime, runs body(loop 0) on this thread, then stops and joins the other loops.
/// When body throws cancelled_error after SIGINT/SIGTERM cancelled the main task, acts on
/// opts.on_interrupt once everything is torn down.
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
/// calling thread. SIGINT/SIGTERM: see options::handle_signals and options::on_interrupt.
/// @throws invalid_state_error when called from inside a running loop.
/// @throws interrupted with interrupt_action::throw_interrupted, after a signal ended the main
/// task.
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
