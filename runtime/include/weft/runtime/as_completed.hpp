#pragma once

#include <weft/runtime/clock.hpp>
#include <weft/runtime/detail/cancel_state.hpp>
#include <weft/runtime/detail/future_state.hpp>
#include <weft/runtime/detail/loop_ops.hpp>
#include <weft/runtime/detail/timed_wait.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/task.hpp>
#include <weft/runtime/wait.hpp>

#include <coroutine>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <ranges>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {

namespace detail {

class completion_queue;

/// The futures' indices in completion order, filled from any thread; non-template core of
/// weft::as_completed() in runtime/src/as_completed.cpp. Reference-counted: the waiter nodes it
/// leaves on the futures keep it alive after the sequence is gone.
class completion_order {
public:
    completion_order(future_state_base* const* states, std::size_t count,
                     std::optional<clock::duration> timeout);
    completion_order(const completion_order&) = delete;
    completion_order& operator=(const completion_order&) = delete;
    ~completion_order();

    /// Futures not handed out yet.
    [[nodiscard]] std::size_t remaining() const noexcept { return remaining_; }

    /// Suspends until the next future completes; returns its index. Cancellable.
    class awaiter : private timed_wait {
    public:
        explicit awaiter(completion_order& o) noexcept : o_(&o) {}
        awaiter(const awaiter&) = delete;
        awaiter& operator=(const awaiter&) = delete;
        ~awaiter();

        [[nodiscard]] bool await_ready();
        template <class P>
        bool await_suspend(std::coroutine_handle<P> h) {
            return suspend(h, cancel_slot_of(h));
        }
        /// @throws timeout_error once the overall timeout passed and no completion is left.
        /// @throws cancelled_error when the awaiting task was cancelled.
        std::size_t await_resume();

    private:
        friend class completion_queue;
        bool suspend(std::coroutine_handle<> h, cancel_state* slot);
        static bool on_cancel(void* self) noexcept;
        static void on_timeout(timer_node* n) noexcept;

        completion_order* o_;
        bool suspended_ = false;
    };

    [[nodiscard]] awaiter next() noexcept { return awaiter{*this}; }

private:
    completion_queue* q_;
    std::size_t count_;
    std::size_t remaining_;
    std::optional<clock::duration> timeout_;
    std::optional<clock::time_point> deadline_;
};

} // namespace detail

/// The futures given to weft::as_completed(), handed out in the order they complete.
///
///     auto seq = weft::as_completed(futures, 5s);
///     while (seq.remaining() > 0) {
///         int v = co_await seq.next();               // the value, or its exception rethrown
///     }
///     for (auto& next : weft::as_completed(futures)) {
///         weft::future<int> f = co_await next.future(); // the done future itself
///     }
///
/// One next() at a time; the awaiting task resumes on its own loop wherever the futures complete.
/// Not copyable or movable (the futures' callbacks point at it); use it where it was made.
template <class T>
class as_completed_sequence {
public:
    /// Prefer weft::as_completed().
    as_completed_sequence(std::vector<future<T>> fs, std::optional<clock::duration> timeout)
        : fs_(std::move(fs)), states_(states_of(fs_)),
          order_(states_.data(), states_.size(), timeout), step_(this) {}
    as_completed_sequence(const as_completed_sequence&) = delete;
    as_completed_sequence& operator=(const as_completed_sequence&) = delete;

    /// How many futures it holds.
    [[nodiscard]] std::size_t size() const noexcept { return fs_.size(); }
    /// How many are still to be handed out.
    [[nodiscard]] std::size_t remaining() const noexcept { return order_.remaining(); }

    /// Awaits the next future to complete and returns its value, or rethrows its exception.
    template <bool AsFuture>
    class awaiter {
    public:
        explicit awaiter(as_completed_sequence& s) noexcept : s_(&s), inner_(s.order_) {}
        [[nodiscard]] bool await_ready() { return inner_.await_ready(); }
        template <class P>
        bool await_suspend(std::coroutine_handle<P> h) {
            return inner_.await_suspend(h);
        }
        decltype(auto) await_resume() {
            future<T>& f = s_->fs_[inner_.await_resume()];
            if constexpr (AsFuture) {
                return future<T>(f);
            } else if constexpr (std::is_void_v<T>) {
                (void)f.state().value();
            } else if constexpr (std::is_copy_constructible_v<T>) {
                return T(f.state().value());
            } else {
                return T(f.state().take_value());
            }
        }

    private:
        as_completed_sequence* s_;
        detail::completion_order::awaiter inner_;
    };

    /// The next future to complete, awaited: its value, or its exception rethrown.
    /// @throws timeout_error once the overall timeout passed (for every remaining await).
    /// @throws invalid_state_error when none is left, or when another next() is still waiting.
    [[nodiscard]] awaiter<false> next() noexcept { return awaiter<false>{*this}; }

    /// The next future to complete, itself (done): to tell which one it was, or to read its
    /// exception without a throw.
    /// @throws timeout_error, invalid_state_error as next().
    [[nodiscard]] awaiter<true> next_future() noexcept { return awaiter<true>{*this}; }

    /// One step of a range-for: `co_await step` is next(); `co_await step.future()` is
    /// next_future().
    class step {
    public:
        explicit step(as_completed_sequence* s) noexcept : s_(s) {}
        awaiter<false> operator co_await() const noexcept { return awaiter<false>{*s_}; }
        [[nodiscard]] awaiter<true> future() const noexcept { return awaiter<true>{*s_}; }

    private:
        as_completed_sequence* s_;
    };

    /// Counts the remaining futures; each step is to be awaited once.
    class iterator {
    public:
        using value_type = step;
        using difference_type = std::ptrdiff_t;
        iterator() noexcept = default;
        explicit iterator(as_completed_sequence* s) noexcept : s_(s) {}
        step& operator*() const noexcept { return s_->step_; }
        iterator& operator++() noexcept {
            ++taken_;
            return *this;
        }
        void operator++(int) noexcept { ++*this; }
        bool operator==(std::default_sentinel_t) const noexcept {
            return s_ == nullptr || taken_ >= s_->size();
        }

    private:
        as_completed_sequence* s_ = nullptr;
        std::size_t taken_ = 0;
    };

    /// size() steps, counting from the first handed out.
    [[nodiscard]] iterator begin() noexcept { return iterator{this}; }
    [[nodiscard]] std::default_sentinel_t end() const noexcept { return {}; }

private:
    static std::vector<detail::future_state_base*> states_of(std::vector<future<T>>& fs) {
        std::vector<detail::future_state_base*> out;
        out.reserve(fs.size());
        for (auto& f : fs) {
            out.push_back(&f.state());
        }
        return out;
    }

    std::vector<future<T>> fs_;
    std::vector<detail::future_state_base*> states_;
    detail::completion_order order_;
    step step_;
};

/// Hands out the futures in the order they complete (asyncio.as_completed): each `co_await
/// seq.next()` (or each step of a range-for over it) gives the next one's value. With a timeout,
/// counted from this call, every await after it passed throws timeout_error once the futures
/// that completed before it are handed out; nothing is cancelled, on timeout or otherwise. Takes
/// futures (create_task a weft::task first); they may complete on any loop or thread. A future
/// listed more than once is handed out once (asyncio takes a set, as wait() does).
/// @throws invalid_state_error for an empty future.
template <class R>
requires detail::future_range<R>
[[nodiscard]] as_completed_sequence<detail::future_range_value_t<R>>
as_completed(R&& futures, std::optional<clock::duration> timeout = {}) {
    return {detail::copy_futures(std::forward<R>(futures)), timeout};
}

/// as_completed() over a braced list of futures.
template <class T>
[[nodiscard]] as_completed_sequence<T> as_completed(std::initializer_list<future<T>> futures,
                                                    std::optional<clock::duration> timeout = {}) {
    return {detail::copy_futures(futures), timeout};
}

/// Rejects a range of tasks: schedule them first.
template <class R>
requires(std::ranges::input_range<R> && !detail::future_range<R> &&
         detail::is_task<std::remove_cvref_t<std::ranges::range_value_t<R>>>::
             value) void as_completed(R&&, std::optional<clock::duration> = {}) {
    static_assert(!detail::is_task<std::remove_cvref_t<std::ranges::range_value_t<R>>>::value,
                  "weft::as_completed takes futures: schedule each task with weft::create_task "
                  "(or weft::spawn) and pass the futures");
}

} // namespace weft
