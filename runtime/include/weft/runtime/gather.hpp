#pragma once

#include <weft/runtime/awaitable.hpp>
#include <weft/runtime/detail/child_group.hpp>
#include <weft/runtime/outcome.hpp>
#include <weft/runtime/task.hpp>

#include <array>
#include <cstddef>
#include <iterator>
#include <memory>
#include <ranges>
#include <tuple>
#include <utility>
#include <vector>

namespace weft {

namespace detail {

template <class T>
using gather_value_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

/// Hands each task to its child slot, bound to the group.
template <class... T>
void bind_children(std::tuple<child<T>...>& children, child_base** ptrs, child_group& group,
                   task<T>&&... tasks) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((std::get<I>(children).init(std::move(tasks), &group), ptrs[I] = &std::get<I>(children)),
         ...);
    }
    (std::index_sequence_for<T...>{});
}

template <class T>
void bind_children(child<T>* children, child_base** ptrs, child_group& group,
                   std::vector<task<T>>& tasks) {
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        children[i].init(std::move(tasks[i]), &group);
        ptrs[i] = &children[i];
    }
    tasks.clear();
}

template <class... T>
task<std::tuple<gather_value_t<T>...>> gather_tuple(child_group::mode m, task<T>... tasks) {
    std::tuple<child<T>...> children;
    std::array<child_base*, sizeof...(T)> ptrs{};
    child_group group(ptrs.data(), sizeof...(T), m);
    bind_children(children, ptrs.data(), group, std::move(tasks)...);
    co_await group;
    if (group.outer_cancelled()) {
        throw cancelled_error("gather was cancelled");
    }
    if (child_base* f = group.first_failure()) {
        std::rethrow_exception(f->error());
    }
    co_return std::apply(
        [](child<T>&... c) {
            return std::tuple<gather_value_t<T>...>(std::move(c.result()).value()...);
        },
        children);
}

template <class... T>
task<std::tuple<outcome<T>...>> gather_settled_tuple(task<T>... tasks) {
    std::tuple<child<T>...> children;
    std::array<child_base*, sizeof...(T)> ptrs{};
    child_group group(ptrs.data(), sizeof...(T), child_group::mode::settle);
    bind_children(children, ptrs.data(), group, std::move(tasks)...);
    co_await group;
    if (group.outer_cancelled()) {
        throw cancelled_error("gather_settled was cancelled");
    }
    co_return std::apply(
        [](child<T>&... c) { return std::tuple<outcome<T>...>(std::move(c.result())...); },
        children);
}

template <class T>
task<std::vector<gather_value_t<T>>> gather_vector(std::vector<task<T>> tasks) {
    const std::size_t n = tasks.size();
    std::vector<child_base*> ptrs;
    std::unique_ptr<child<T>[]> children(new child<T>[n]);
    ptrs.resize(n);
    child_group group(ptrs.data(), n, child_group::mode::fail_fast);
    bind_children(children.get(), ptrs.data(), group, tasks);
    co_await group;
    if (group.outer_cancelled()) {
        throw cancelled_error("gather was cancelled");
    }
    if (child_base* f = group.first_failure()) {
        std::rethrow_exception(f->error());
    }
    std::vector<gather_value_t<T>> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(std::move(children[i].result()).value());
    }
    co_return out;
}

template <class T>
task<std::vector<outcome<T>>> gather_settled_vector(std::vector<task<T>> tasks) {
    const std::size_t n = tasks.size();
    std::vector<child_base*> ptrs(n);
    std::unique_ptr<child<T>[]> children(new child<T>[n]);
    child_group group(ptrs.data(), n, child_group::mode::settle);
    bind_children(children.get(), ptrs.data(), group, tasks);
    co_await group;
    if (group.outer_cancelled()) {
        throw cancelled_error("gather_settled was cancelled");
    }
    std::vector<outcome<T>> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(std::move(children[i].result()));
    }
    co_return out;
}

template <class R>
using range_awaitable_t = std::ranges::range_value_t<R>;

/// Moves (or copies, for futures) a range's awaitables into tasks.
template <class R>
auto range_to_tasks(R&& r) {
    using A = range_awaitable_t<R>;
    std::vector<task<await_result_t<A>>> tasks;
    if constexpr (std::ranges::sized_range<R>) {
        tasks.reserve(std::ranges::size(r));
    }
    for (auto&& a : r) {
        if constexpr (is_task<std::remove_cvref_t<A>>::value) {
            static_assert(!std::is_const_v<std::remove_reference_t<decltype(a)>>,
                          "gather needs a mutable range of tasks: it moves them");
            tasks.push_back(std::move(a));
        } else {
            tasks.push_back(as_task(A(a)));
        }
    }
    return tasks;
}

template <class R>
concept awaitable_range = std::ranges::input_range<R> && awaitable<range_awaitable_t<R>>;

} // namespace detail

/// Runs the awaitables concurrently on the current loop and returns their results in argument
/// order (asyncio.gather); void results become std::monostate. The first exception cancels the
/// others, waits until they have unwound, then propagates. Cancelling the gather cancels them all.
template <class... A>
requires(sizeof...(A) > 0 && (awaitable<A> && ...) && !(detail::awaitable_range<A> && ...))
    [[nodiscard]] task<std::tuple<detail::gather_value_t<await_result_t<A>>...>> gather(
        A&&... aws) {
    return detail::gather_tuple(detail::child_group::mode::fail_fast,
                                detail::as_task(std::forward<A>(aws))...);
}

/// gather over a range (vector of tasks or futures); results in range order. Tasks in the range
/// are moved from.
template <class R>
requires detail::awaitable_range<R>
[[nodiscard]] task<
    std::vector<detail::gather_value_t<await_result_t<detail::range_awaitable_t<R>>>>>
gather(R&& range) {
    return detail::gather_vector(detail::range_to_tasks(std::forward<R>(range)));
}

/// Runs the awaitables concurrently and waits for all of them, whatever fails; returns a value or
/// an exception per item, in argument order (asyncio's gather(return_exceptions=True)).
template <class... A>
requires(sizeof...(A) > 0 && (awaitable<A> && ...) && !(detail::awaitable_range<A> && ...))
    [[nodiscard]] task<std::tuple<outcome<await_result_t<A>>...>> gather_settled(A&&... aws) {
    return detail::gather_settled_tuple(detail::as_task(std::forward<A>(aws))...);
}

/// gather_settled over a range; results in range order.
template <class R>
requires detail::awaitable_range<R>
[[nodiscard]] task<std::vector<outcome<await_result_t<detail::range_awaitable_t<R>>>>>
gather_settled(R&& range) {
    return detail::gather_settled_vector(detail::range_to_tasks(std::forward<R>(range)));
}

} // namespace weft
