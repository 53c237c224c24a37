#pragma once

#include <weft/runtime/clock.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/detail/loop_ops.hpp>
#include <weft/runtime/detail/unique_function.hpp>
#include <weft/runtime/stats.hpp>

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace weft {

namespace detail {
class loop_impl;
class callback_timer;
class runtime;
} // namespace detail

/// A handle to a callback scheduled with call_later/call_at (asyncio.TimerHandle).
class timer_handle {
public:
    timer_handle() noexcept = default;
    explicit timer_handle(std::shared_ptr<detail::callback_timer> t) noexcept : t_(std::move(t)) {}

    /// Stops the callback from running, if it has not run yet. Safe from any thread.
    void cancel() noexcept;
    /// Whether cancel() was called.
    [[nodiscard]] bool cancelled() const noexcept;
    /// When the callback is due.
    [[nodiscard]] clock::time_point when() const noexcept;

private:
    std::shared_ptr<detail::callback_timer> t_;
};

/// An event loop: an Asio io_context driven by one thread, with a ready queue, timers and a
/// thread-safe inbox (asyncio's event loop). weft::run() makes one per core; a stand-alone loop
/// runs on the thread that calls run_until_complete/run_forever.
class loop {
public:
    /// A stand-alone loop (weft::run() builds its own).
    loop();
    loop(const loop&) = delete;
    loop& operator=(const loop&) = delete;
    /// Closes the loop if it was not closed.
    ~loop();

    /// The loop's number in its runtime (0 for a stand-alone loop).
    [[nodiscard]] std::size_t id() const noexcept;

    /// The loop's clock (asyncio's loop.time()).
    [[nodiscard]] clock::time_point time() const noexcept;

    /// Queues fn to run soon on this loop, after what is already queued (FIFO).
    /// @throws invalid_state_error when called from another thread while the loop runs.
    void call_soon(detail::unique_function<void()> fn);

    /// Queues fn from any thread; wakes the loop once for a whole batch.
    void call_soon_threadsafe(detail::unique_function<void()> fn);

    /// Runs fn on this loop after delay. Loop thread only (or before the loop runs).
    timer_handle call_later(clock::duration delay, detail::unique_function<void()> fn);

    /// Runs fn on this loop at time t (on the loop's clock). Loop thread only.
    timer_handle call_at(clock::time_point t, detail::unique_function<void()> fn);

    /// Runs the loop on this thread until the awaitable completes; returns its result or rethrows.
    /// Tasks it created keep their state: close() cancels and unwinds them.
    /// @throws invalid_state_error when the loop is closed or already running, or when stop()
    /// ended the run before the awaitable completed.
    template <class A>
    requires awaitable<A> await_result_t<A> run_until_complete(A&& aw) {
        future<await_result_t<A>> f = begin_main(detail::as_task(std::forward<A>(aw)));
        run_until_done(f.state());
        if (!f.done()) {
            throw invalid_state_error(
                "loop stopped before the awaitable completed; close() cancels and unwinds it");
        }
        return f.state().take_result();
    }

    /// Runs until stop() is called.
    void run_forever();

    /// Makes run_forever/run_until_complete return after the current step. Thread-safe.
    void stop();

    /// Cancels every task still alive on this loop, runs the loop until they unwind, and releases
    /// its resources. Idempotent. Must not be called while the loop runs.
    void close();

    [[nodiscard]] bool is_running() const noexcept;
    [[nodiscard]] bool is_closed() const noexcept;

    /// Live tasks (scheduled roots not yet finished) on this loop.
    [[nodiscard]] std::size_t task_count() const noexcept;

    /// The loop's counters (tasks, steps, ready queue, timers, stalls); from any thread.
    [[nodiscard]] loop_stats stats() const noexcept;

    /// Engine access for weft's own components.
    [[nodiscard]] detail::loop_impl& impl() noexcept { return *impl_; }

private:
    friend class detail::runtime;
    loop(detail::runtime* rt, std::size_t id);

    template <class T>
    future<T> begin_main(task<T> t) {
        check_can_run();
        return detail::start_root(*this, std::move(t), /*main=*/true);
    }
    void check_can_run() const;
    void run_until_done(detail::future_state_base& s);

    std::unique_ptr<detail::loop_impl> impl_;
};

} // namespace weft
