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

/// What a gather returns per child: the value (void as std::monostate), or for gather_settled
/// the outcome, value or exception.
template <class T, bool Settled>
using gathered_t = std::conditional_t<Settled, outcome<T>, gather_value_t<T>>;

template <class T, bool Settled>
gathered_t<T, Settled> take_gathered(child<T>& c) {
    if constexpr (Settled) {
        return std::move(c.result());
    } else {
        return std::move(c.result()).value();
    }
}

/// Ends a gather whose children have all finished: cancelled_error when the gather itself was
/// cancelled, else (unless it settles) the first child's failure.
template <bool Settled>
void finish_gather(child_group& group) {
    if (group.outer_cancelled()) {
        throw cancelled_error(Settled ? "gather_settled was cancelled" : "gather was cancelled");
    }
    if constexpr (!Settled) {
        if (child_base* f = group.first_failure()) {
            std::rethrow_exception(f->error());
        }
    }
}

template <bool Settled, class... T>
task<std::tuple<gathered_t<T, Settled>...>> gather_tuple(task<T>... tasks) {
    std::tuple<child<T>...> children;
    std::array<child_base*, sizeof...(T)> ptrs{};
    child_group group(ptrs.data(), sizeof...(T),
                      Settled ? child_group::mode::settle : child_group::mode::fail_fast);
    bind_children(children, ptrs.data(), group, std::move(tasks)...);
    co_await group;
    finish_gather<Settled>(group);
    co_return std::apply(
        [](child<T>&... c) {
            return std::tuple<gathered_t<T, Settled>...>(take_gathered<T, Settled>(c)...);
        },
        children);
}

template <bool Settled, class T>
task<std::vector<gathered_t<T, Settled>>> gather_vector(std::vector<task<T>> tasks) {
    const std::size_t n = tasks.size();
    std::vector<child_base*> ptrs(n);
    std::unique_ptr<child<T>[]> children(new child<T>[n]);
    child_group group(ptrs.data(), n,
                      Settled ? child_group::mode::settle : child_group::mode::fail_fast);
    bind_children(children.get(), ptrs.data(), group, tasks);
    co_await group;
    finish_gather<Settled>(group);
    std::vector<gathered_t<T, Settled>> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(take_gathered<T, Settled>(children[i]));
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
    return detail::gather_tuple<false>(detail::as_task(std::forward<A>(aws))...);
}

/// gather over a range (vector of tasks or futures); results in range order. Tasks in the range
/// are moved from.
template <class R>
requires detail::awaitable_range<R>
[[nodiscard]] task<
    std::vector<detail::gather_value_t<await_result_t<detail::range_awaitable_t<R>>>>>
gather(R&& range) {
    return detail::gather_vector<false>(detail::range_to_tasks(std::forward<R>(range)));
}

/// Runs the awaitables concurrently and waits for all of them, whatever fails; returns a value or
/// an exception per item, in argument order (asyncio's gather(return_exceptions=True)).
template <class... A>
requires(sizeof...(A) > 0 && (awaitable<A> && ...) && !(detail::awaitable_range<A> && ...))
    [[nodiscard]] task<std::tuple<outcome<await_result_t<A>>...>> gather_settled(A&&... aws) {
    return detail::gather_tuple<true>(detail::as_task(std::forward<A>(aws))...);
}

/// gather_settled over a range; results in range order.
template <class R>
requires detail::awaitable_range<R>
[[nodiscard]] task<std::vector<outcome<await_result_t<detail::range_awaitable_t<R>>>>>
gather_settled(R&& range) {
    return detail::gather_vector<true>(detail::range_to_tasks(std::forward<R>(range)));
}

} // namespace weft
