#pragma once

#include <weft/runtime/awaitable.hpp>
#include <weft/runtime/detail/child_group.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/outcome.hpp>
#include <weft/runtime/task.hpp>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {

namespace detail {

/// What the workers of one gather_bounded share; lives in the gather's frame, which outlives them.
template <class T>
struct bounded_run {
    /// Hands out the next task in range order; false when the range is exhausted.
    bool (*pull)(void* source, task<T>& out) = nullptr;
    void* source = nullptr;
    std::vector<outcome<T>> out; // one per task handed out, in range order
    child_group* group = nullptr;
    /// What the range itself threw while handing out a task (settled form; fail-fast fails the
    /// worker instead).
    std::exception_ptr pull_error;
    bool settle = false;

    /// Whether no further task may start: a sibling failed (fail-fast), the range threw, or the
    /// gather was cancelled.
    [[nodiscard]] bool stopping() const noexcept {
        return group->outer_cancelled() || pull_error != nullptr ||
               (!settle && group->first_failure() != nullptr);
    }
};

/// A range element as a task: a task is moved out of the range, a future or other awaitable is
/// copied (an lvalue) or moved (a prvalue) into a task that awaits it.
template <class A>
task<await_result_t<A>> element_to_task(A&& a) {
    using D = std::remove_cvref_t<A>;
    if constexpr (is_task<D>::value) {
        return std::move(a);
    } else {
        return as_task(D(std::forward<A>(a)));
    }
}

/// The tasks of an owning range, taken at the call.
template <class T>
struct task_vector_source {
    std::vector<task<T>> tasks;
    std::size_t pos = 0;

    explicit task_vector_source(std::vector<task<T>> t) noexcept : tasks(std::move(t)) {}
    task_vector_source(task_vector_source&&) noexcept = default;
    task_vector_source& operator=(task_vector_source&&) = delete;
    /// Tasks never started (after a failure or a cancel) are dropped on purpose: claim them first,
    /// so that debug mode does not report them as never awaited.
    ~task_vector_source() {
        for (auto& t : tasks) {
            if (t.valid()) {
                t.release().destroy();
            }
        }
    }

    [[nodiscard]] std::size_t size() const noexcept { return tasks.size(); }

    static bool pull(void* self, task<T>& out) {
        auto* s = static_cast<task_vector_source*>(self);
        if (s->pos == s->tasks.size()) {
            return false;
        }
        out = std::move(s->tasks[s->pos++]);
        return true;
    }
};

/// A view walked as the workers need items: each task's frame is made only when it starts.
template <class T, class V>
struct bounded_view_source {
    V view;
    std::optional<std::ranges::iterator_t<V>> it;

    static bool pull(void* self, task<T>& out) {
        auto* s = static_cast<bounded_view_source*>(self);
        if (!s->it) {
            s->it.emplace(std::ranges::begin(s->view));
        }
        if (*s->it == std::ranges::end(s->view)) {
            return false;
        }
        out = element_to_task(**s->it);
        ++*s->it;
        return true;
    }
};

/// One of the `limit` workers: takes the next task in range order, awaits it (so that it runs in
/// this worker's cancellation slot and a cancel of the worker reaches it), stores its outcome, and
/// goes on until none is left. A failure ends the worker with it (fail-fast), which makes the group
/// cancel the other workers and so their current tasks; tasks never started never run.
template <class T>
task<void> bounded_worker(bounded_run<T>& run) {
    while (!run.stopping()) {
        task<T> t;
        bool more = false;
        // A throw from the source fails this worker as a failed task would (fail-fast), or is kept
        // for the end (settled: there is no outcome slot to put it in).
        try {
            more = run.pull(run.source, t);
        } catch (...) {
            if (!run.settle) {
                throw;
            }
            run.pull_error = std::current_exception();
        }
        if (!more) {
            break;
        }
        const std::size_t i = run.out.size();
        run.out.emplace_back(); // indexed again after the await: the vector may grow meanwhile
        std::exception_ptr error;
        try {
            if constexpr (std::is_void_v<T>) {
                co_await std::move(t);
                run.out[i].set_value(std::monostate{});
            } else {
                T v = co_await std::move(t);
                run.out[i].set_value(std::move(v));
            }
        } catch (...) {
            if (!run.settle) {
                throw; // fail-fast: the failure ends this worker
            }
            error = std::current_exception();
        }
        if (error) {
            if (run.group->outer_cancelled() && is_cancellation(error)) {
                std::rethrow_exception(error); // our own cancellation, not the task's outcome
            }
            run.out[i].set_exception(std::move(error));
        }
    }
}

/// Runs min(limit, size) workers over the source; size is a hint (SIZE_MAX when unknown).
template <class T>
task<void> run_bounded(bounded_run<T>& run, std::size_t limit, std::size_t size) {
    const std::size_t n = std::min(limit, size);
    if (size != std::numeric_limits<std::size_t>::max()) {
        run.out.reserve(size);
    }
    std::vector<child_base*> ptrs(n);
    std::unique_ptr<child<void>[]> workers(new child<void>[n]);
    child_group group(ptrs.data(), n,
                      run.settle ? child_group::mode::settle : child_group::mode::fail_fast);
    run.group = &group;
    for (std::size_t i = 0; i < n; ++i) {
        workers[i].init(bounded_worker(run), &group);
        ptrs[i] = &workers[i];
    }
    co_await group;
    if (group.outer_cancelled()) {
        throw cancelled_error(run.settle ? "gather_bounded_settled was cancelled"
                                         : "gather_bounded was cancelled");
    }
    if (child_base* f = group.first_failure()) {
        std::rethrow_exception(f->error());
    }
    if (run.pull_error) {
        std::rethrow_exception(run.pull_error);
    }
}

template <bool Settled, class T, class Source>
task<std::vector<gathered_t<T, Settled>>> gather_bounded_impl(Source source, std::size_t limit,
                                                              std::size_t size) {
    bounded_run<T> run;
    run.pull = &Source::pull;
    run.source = &source;
    run.settle = Settled;
    co_await run_bounded(run, limit, size);
    if constexpr (Settled) {
        co_return std::move(run.out);
    } else {
        std::vector<gather_value_t<T>> values;
        values.reserve(run.out.size());
        for (auto& o : run.out) {
            values.push_back(std::move(o).value());
        }
        co_return values;
    }
}

/// Starts gather_bounded_impl over the range: a view is walked lazily (kept by value), anything
/// else has its tasks taken at the call.
template <bool Settled, class R>
auto bounded_over(R&& range, std::size_t limit) {
    using T = await_result_t<range_awaitable_t<R>>;
    std::size_t size = std::numeric_limits<std::size_t>::max();
    if constexpr (std::ranges::sized_range<R>) {
        size = static_cast<std::size_t>(std::ranges::size(range));
    }
    if constexpr (std::ranges::view<std::remove_cvref_t<R>>) {
        using V = std::views::all_t<R>;
        return gather_bounded_impl<Settled, T>(
            bounded_view_source<T, V>{std::views::all(std::forward<R>(range)), std::nullopt}, limit,
            size);
    } else {
        task_vector_source<T> src(range_to_tasks(std::forward<R>(range)));
        size = src.size();
        return gather_bounded_impl<Settled, T>(std::move(src), limit, size);
    }
}

inline void check_limit(std::size_t limit, const char* fn) {
    if (limit == 0) {
        throw invalid_state_error(std::string("weft::") + fn +
                                  ": limit must be at least 1 (how many awaitables may run at "
                                  "once)");
    }
}

} // namespace detail

/// gather with at most `limit` of the awaitables running at once (folly's collectAllWindowed):
/// they start in range order, the next as soon as one finishes, and the results come back in
/// range order. Failure as gather: the first exception cancels the running ones, waits until they
/// have unwound, never starts the rest, then propagates; cancelling it does the same. Nothing
/// outlives the call. From a container, the tasks are taken (moved) at the call, so each frame
/// exists from the start; a view is kept by value and walked as items start, so
/// `gather_bounded(urls | std::views::transform(fetch), 64)` makes at most 64 frames at a time
/// (what the view refers to, `urls` here, must outlive the await).
/// @throws invalid_state_error at the call when limit is 0.
template <class R>
requires detail::awaitable_range<R>
[[nodiscard]] task<
    std::vector<detail::gather_value_t<await_result_t<detail::range_awaitable_t<R>>>>>
gather_bounded(R&& range, std::size_t limit) {
    detail::check_limit(limit, "gather_bounded");
    return detail::bounded_over<false>(std::forward<R>(range), limit);
}

/// gather_bounded that waits for every awaitable whatever fails, as gather_settled: one outcome
/// per item, in range order. Cancelling it cancels the running ones, starts no more, waits, then
/// throws cancelled_error. An exception from a view itself (its transform threw) starts no more
/// items and propagates once the running ones have finished.
/// @throws invalid_state_error at the call when limit is 0.
template <class R>
requires detail::awaitable_range<R>
[[nodiscard]] task<std::vector<outcome<await_result_t<detail::range_awaitable_t<R>>>>>
gather_bounded_settled(R&& range, std::size_t limit) {
    detail::check_limit(limit, "gather_bounded_settled");
    return detail::bounded_over<true>(std::forward<R>(range), limit);
}

} // namespace weft
