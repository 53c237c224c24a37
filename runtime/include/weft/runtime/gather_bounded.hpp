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
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {

namespace detail {

/// What the workers of one gather_bounded share; lives in the gather's frame, which outlives them.
template <class T>
struct bounded_run {
    std::vector<task<T>> tasks;
    std::vector<outcome<T>> out;
    std::size_t next = 0;
    child_group* group = nullptr;
    bool settle = false;

    bounded_run() = default;
    bounded_run(const bounded_run&) = delete;
    bounded_run& operator=(const bounded_run&) = delete;
    /// Tasks never started (after a failure or a cancel) are dropped on purpose: claim them first,
    /// so that debug mode does not report them as never awaited.
    ~bounded_run() {
        for (auto& t : tasks) {
            if (t.valid()) {
                t.release().destroy();
            }
        }
    }

    /// Whether no further task may start: a sibling failed (fail-fast) or the gather was cancelled.
    [[nodiscard]] bool stopping() const noexcept {
        return group->outer_cancelled() || (!settle && group->first_failure() != nullptr);
    }
};

/// One of the `limit` workers: takes the next task in argument order, awaits it (so that it runs
/// in this worker's cancellation slot and a cancel of the worker reaches it), stores its outcome,
/// and goes on until none is left. A failure ends the worker with it (fail-fast), which makes the
/// group cancel the other workers and so their current tasks; tasks never started are destroyed
/// with the gather, unrun.
template <class T>
task<void> bounded_worker(bounded_run<T>& run) {
    while (run.next < run.tasks.size() && !run.stopping()) {
        const std::size_t i = run.next++;
        task<T> t = std::move(run.tasks[i]);
        if (!run.settle) {
            if constexpr (std::is_void_v<T>) {
                co_await std::move(t);
                run.out[i].set_value(std::monostate{});
            } else {
                T v = co_await std::move(t);
                run.out[i].set_value(std::move(v));
            }
            continue;
        }
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

template <class T>
task<void> run_bounded(bounded_run<T>& run, std::size_t limit) {
    const std::size_t n = std::min(limit, run.tasks.size());
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
}

template <class T>
task<std::vector<gather_value_t<T>>> gather_bounded_impl(std::vector<task<T>> tasks,
                                                         std::size_t limit) {
    bounded_run<T> run;
    run.out.resize(tasks.size());
    run.tasks = std::move(tasks);
    co_await run_bounded(run, limit);
    std::vector<gather_value_t<T>> values;
    values.reserve(run.out.size());
    for (auto& o : run.out) {
        values.push_back(std::move(o).value());
    }
    co_return values;
}

template <class T>
task<std::vector<outcome<T>>> gather_bounded_settled_impl(std::vector<task<T>> tasks,
                                                          std::size_t limit) {
    bounded_run<T> run;
    run.settle = true;
    run.out.resize(tasks.size());
    run.tasks = std::move(tasks);
    co_await run_bounded(run, limit);
    co_return std::move(run.out);
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
/// outlives the call. Tasks in the range are moved from; a task's frame exists from the start
/// (lazy, not running), so a very long range costs one frame per item up front.
/// @throws invalid_state_error at the call when limit is 0.
template <class R>
requires detail::awaitable_range<R>
[[nodiscard]] task<
    std::vector<detail::gather_value_t<await_result_t<detail::range_awaitable_t<R>>>>>
gather_bounded(R&& range, std::size_t limit) {
    detail::check_limit(limit, "gather_bounded");
    return detail::gather_bounded_impl(detail::range_to_tasks(std::forward<R>(range)), limit);
}

/// gather_bounded that waits for every awaitable whatever fails, as gather_settled: one outcome
/// per item, in range order. Cancelling it cancels the running ones, starts no more, waits, then
/// throws cancelled_error.
/// @throws invalid_state_error at the call when limit is 0.
template <class R>
requires detail::awaitable_range<R>
[[nodiscard]] task<std::vector<outcome<await_result_t<detail::range_awaitable_t<R>>>>>
gather_bounded_settled(R&& range, std::size_t limit) {
    detail::check_limit(limit, "gather_bounded_settled");
    return detail::gather_bounded_settled_impl(detail::range_to_tasks(std::forward<R>(range)),
                                               limit);
}

} // namespace weft
