#pragma once

#include <weft/runtime/future.hpp>
#include <weft/runtime/task.hpp>

#include <concepts>
#include <coroutine>
#include <type_traits>
#include <utility>

namespace weft {

namespace detail {

template <class A>
decltype(auto) get_awaiter(A&& a) {
    if constexpr (requires { std::forward<A>(a).operator co_await(); }) {
        return std::forward<A>(a).operator co_await();
    } else if constexpr (requires { operator co_await(std::forward<A>(a)); }) {
        return operator co_await(std::forward<A>(a));
    } else {
        return std::forward<A>(a);
    }
}

template <class T>
concept awaiter_like = requires(T& t, std::coroutine_handle<> h) {
    { t.await_ready() } -> std::convertible_to<bool>;
    t.await_resume();
};

template <class T>
struct is_task : std::false_type {};
template <class T>
struct is_task<task<T>> : std::true_type {};

template <class T>
struct is_future : std::false_type {};
template <class T>
struct is_future<future<T>> : std::true_type {};

} // namespace detail

/// Anything `co_await` accepts: tasks, futures, sleeps, gathers, Asio-free custom awaiters.
template <class A>
concept awaitable = requires(A&& a) {
    { detail::get_awaiter(std::forward<A>(a)) } -> detail::awaiter_like;
};

/// What `co_await a` produces, decayed (void stays void).
template <class A>
using await_result_t =
    std::remove_cvref_t<decltype(detail::get_awaiter(std::declval<A>()).await_resume())>;

namespace detail {

template <class A, class R = await_result_t<A>>
task<R> wrap_awaitable(A a) {
    co_return co_await std::move(a);
}

/// The awaitable as a task: a task is moved as is, anything else wrapped in one that awaits it.
template <class A>
requires awaitable<A> task<await_result_t<A>> as_task(A&& a) {
    using D = std::remove_cvref_t<A>;
    if constexpr (is_task<D>::value) {
        static_assert(!std::is_lvalue_reference_v<A>,
                      "pass a weft::task by value (std::move it): it runs once and is consumed");
        return std::move(a);
    } else {
        return wrap_awaitable<D>(std::forward<A>(a));
    }
}

} // namespace detail

} // namespace weft
