#pragma once

#include <weft/runtime/awaitable.hpp>
#include <weft/runtime/clock.hpp>
#include <weft/runtime/detail/cancel_state.hpp>
#include <weft/runtime/detail/future_state.hpp>
#include <weft/runtime/detail/loop_ops.hpp>
#include <weft/runtime/detail/timed_wait.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/task.hpp>

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <ranges>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

namespace weft {

/// When weft::wait() returns (asyncio's FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED).
enum class return_when {
    first_completed, ///< as soon as any future is done (value, exception or cancellation)
    first_exception, ///< as soon as any future ends with an exception other than a cancellation,
                     ///< or when all are done
    all_completed,   ///< when all are done
};

/// What weft::wait() returns: the futures that were done and those still pending when it returned,
/// each in argument order (asyncio returns two sets).
template <class T>
struct wait_result {
    std::vector<future<T>> done;
    std::vector<future<T>> pending;
};

namespace detail {

class wait_shared;

/// Suspends until some futures are done, per return_when, or a timeout passes; non-template core
/// of weft::wait() in runtime/src/wait.cpp.
///
/// Each future gets a waiter node that lives in a reference-counted block shared with the awaiter,
/// not in the coroutine frame: a future's waiter list has no removal, so a node that fires after
/// wait() returned (a pending future completing later, on any thread) only touches the block. The
/// coroutine is resumed by whoever first claims the block's one wake-up (a future's completion on
/// any thread, the timeout or the cancel hook, both on the home loop), exactly once.
class multi_wait : private timed_wait {
public:
    multi_wait(future_state_base* const* states, std::size_t count, return_when when,
               std::optional<clock::duration> timeout) noexcept
        : states_(states), count_(count), when_(when), timeout_(timeout) {}
    multi_wait(const multi_wait&) = delete;
    multi_wait& operator=(const multi_wait&) = delete;
    ~multi_wait();

    /// Whether the condition already holds (then nothing is registered).
    [[nodiscard]] bool await_ready() const noexcept;

    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
        return suspend(h, cancel_slot_of(h));
    }

    /// @throws cancelled_error when the waiting task was cancelled (the futures are not).
    void await_resume();

private:
    bool suspend(std::coroutine_handle<> h, cancel_state* slot);
    static bool on_cancel(void* self) noexcept;
    static void on_timeout(timer_node* n) noexcept;

    future_state_base* const* states_;
    std::size_t count_;
    return_when when_;
    std::optional<clock::duration> timeout_;
    wait_shared* shared_ = nullptr;
};

template <class R>
concept future_range = std::ranges::input_range<R> &&
    is_future<std::remove_cvref_t<std::ranges::range_value_t<R>>>::value;

template <class R>
using future_range_value_t =
    typename std::remove_cvref_t<std::ranges::range_value_t<R>>::value_type;

/// Copies a range of futures, checking each one refers to a state; a future listed more than once
/// (copies of one future share its state) is kept once, where it first appears, as asyncio's
/// wait() and as_completed() take a set.
/// @throws invalid_state_error on an empty (default-constructed or moved-from) future.
template <class R>
std::vector<future<future_range_value_t<R>>> copy_futures(R&& r) {
    std::vector<future<future_range_value_t<R>>> fs;
    if constexpr (std::ranges::sized_range<R>) {
        fs.reserve(std::ranges::size(r));
    }
    std::unordered_set<const void*> seen;
    for (auto&& f : r) {
        // state() throws on an empty future, at the call rather than at the await.
        if (seen.insert(&f.state()).second) {
            fs.push_back(f);
        }
    }
    return fs;
}

template <class T>
task<wait_result<T>> wait_impl(std::vector<future<T>> fs, return_when when,
                               std::optional<clock::duration> timeout) {
    std::vector<future_state_base*> states;
    states.reserve(fs.size());
    for (auto& f : fs) {
        states.push_back(&f.state());
    }
    {
        multi_wait w(states.data(), states.size(), when, timeout);
        co_await w;
    }
    wait_result<T> out;
    for (auto& f : fs) {
        (f.done() ? out.done : out.pending).push_back(std::move(f));
    }
    co_return out;
}

} // namespace detail

/// Waits until some of the futures are done (asyncio.wait): per `when`, or until `timeout` passes,
/// and returns {done, pending}, each in argument order. Nothing is cancelled: pending futures keep
/// running after it returns, whether by the condition or by the timeout (as in asyncio), and
/// cancelling the waiting task cancels only the wait. The futures may complete on any loop or
/// thread; the waiting task resumes on its own loop. An empty range returns at once with both
/// lists empty (asyncio raises ValueError); a future listed twice is kept once (asyncio takes a
/// set).
///
/// Takes futures, as asyncio.wait takes tasks and futures: schedule a weft::task first with
/// create_task (or spawn) and pass its future. Lazy, as a task: the timeout counts from the await.
/// @throws invalid_state_error at the call for an empty future, at the await outside a loop.
/// @throws cancelled_error when the waiting task is cancelled.
template <class R>
requires detail::future_range<R>
[[nodiscard]] task<wait_result<detail::future_range_value_t<R>>>
wait(R&& futures, return_when when = return_when::all_completed,
     std::optional<clock::duration> timeout = {}) {
    return detail::wait_impl(detail::copy_futures(std::forward<R>(futures)), when, timeout);
}

/// wait() over a braced list of futures. g++ 12 rejects a braced list inside a co_await
/// expression: `auto w = weft::wait({f1, f2}, ...); auto [done, pending] = co_await std::move(w);`
template <class T>
[[nodiscard]] task<wait_result<T>> wait(std::initializer_list<future<T>> futures,
                                        return_when when = return_when::all_completed,
                                        std::optional<clock::duration> timeout = {}) {
    return detail::wait_impl(detail::copy_futures(futures), when, timeout);
}

/// Rejects a range of tasks, which would have nothing to report as pending.
template <class R>
requires(std::ranges::input_range<R> && !detail::future_range<R> &&
         detail::is_task<std::remove_cvref_t<std::ranges::range_value_t<R>>>::
             value) void wait(R&&, return_when = return_when::all_completed,
                              std::optional<clock::duration> = {}) {
    static_assert(!detail::is_task<std::remove_cvref_t<std::ranges::range_value_t<R>>>::value,
                  "weft::wait takes futures: schedule each task with weft::create_task (or "
                  "weft::spawn) and pass the futures, which stay valid for the pending ones");
}

} // namespace weft
