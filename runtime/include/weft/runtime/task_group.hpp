#pragma once

#include <weft/runtime/awaitable.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/detail/cancel_state.hpp>
#include <weft/runtime/detail/current_slot.hpp>
#include <weft/runtime/future.hpp>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <unordered_set>
#include <utility>

namespace weft {

namespace detail {

/// What a task_group's members report to; outlives the group while members run.
struct task_group_state : std::enable_shared_from_this<task_group_state> {
    loop* home = nullptr;
    std::unordered_set<future_state_base*> members; // one reference each
    std::exception_ptr first_error;
    std::coroutine_handle<> joiner;
    cancel_state* joiner_slot = nullptr;
    /// The chain running a with_task_group() body: cancelled on the first member failure.
    cancel_state* owner = nullptr;
    std::uint32_t owner_cancels_before = 0; ///< the owner's cancelling() as the scope began
    bool owner_cancel_requested = false;
    bool scoped = false; ///< run by with_task_group()
    bool cancelling = false;
    bool outer_cancelled = false;
    bool closed = false;

    void adopt(future_state_base* s);
    void member_done(future_state_base* s) noexcept;
    void cancel_all() noexcept;
    ~task_group_state();
};

} // namespace detail

/// A scope for tasks (asyncio.TaskGroup): create_task() into it, then `co_await group.join()`
/// waits for all of them. The first failure (any exception but cancelled_error) cancels the
/// others; join() rethrows it once every member has finished. Cancelling the task in join()
/// cancels the members, waits for them, then throws cancelled_error. Loop-affine: use it on the
/// loop that created it.
class task_group {
public:
    /// A group on the current loop.
    /// @throws invalid_state_error outside a loop.
    task_group();
    task_group(const task_group&) = delete;
    task_group& operator=(const task_group&) = delete;
    /// A group destroyed with live members cancels them and logs an error: join() it.
    ~task_group();

    /// Schedules aw as a member task and returns its future.
    /// @throws invalid_state_error after join() finished, or from another loop; in a
    /// with_task_group() scope also while it shuts down (a member failed, or the body or the
    /// task was cancelled), as asyncio's TaskGroup.
    template <class A>
    requires awaitable<A> future<await_result_t<A>> create_task(A&& aw) {
        check_open();
        future<await_result_t<A>> f = weft::create_task(std::forward<A>(aw));
        state_->adopt(&f.state());
        return f;
    }

    /// create_task with options (a name): `tg.create_task(fetch(), {.name = "fetch"})`.
    template <class A>
    requires awaitable<A> future<await_result_t<A>> create_task(A&& aw, task_options opts) {
        check_open();
        future<await_result_t<A>> f = weft::create_task(std::forward<A>(aw), std::move(opts));
        state_->adopt(&f.state());
        return f;
    }

    /// Cancels every member still running.
    void cancel() noexcept { state_->cancel_all(); }

    /// Members not finished yet.
    [[nodiscard]] std::size_t size() const noexcept { return state_->members.size(); }

    class join_awaiter {
    public:
        explicit join_awaiter(detail::task_group_state* s) noexcept : s_(s) {}
        [[nodiscard]] bool await_ready() const noexcept { return s_->members.empty(); }
        template <class P>
        bool await_suspend(std::coroutine_handle<P> h) {
            return suspend(h, detail::cancel_slot_of(h));
        }
        void await_resume();

    private:
        bool suspend(std::coroutine_handle<> h, detail::cancel_state* slot);
        detail::task_group_state* s_;
    };

    /// Waits until every member finished; rethrows the first failure.
    [[nodiscard]] join_awaiter join() noexcept { return join_awaiter{state_.get()}; }

private:
    template <class F, class R>
    friend task<R> detail_with_task_group(F body);
    void check_open() const;
    std::shared_ptr<detail::task_group_state> state_;
};

namespace detail {

template <class F>
using scope_result_t = await_result_t<std::invoke_result_t<F&, task_group&>>;

/// Ends a with_task_group() scope once its body has finished: stops cancelling the owner, cancels
/// the members if the body failed or was cancelled, withdraws the group's own cancellation of the
/// owner, waits for the members; returns the exception the scope ends with, or null.
task<std::exception_ptr> close_scope(task_group_state& s, std::exception_ptr body_error);

} // namespace detail

template <class F, class R>
task<R> detail_with_task_group(F body) {
    task_group g;
    g.state_->scoped = true;
    g.state_->owner = co_await detail::current_slot{};
    if (g.state_->owner != nullptr) {
        g.state_->owner_cancels_before = g.state_->owner->cancelling();
    }
    std::optional<detail::stored_t<R>> value;
    std::exception_ptr body_error;
    try {
        if constexpr (std::is_void_v<R>) {
            co_await std::invoke(body, g);
            value.emplace();
        } else {
            value.emplace(co_await std::invoke(body, g));
        }
    } catch (...) {
        body_error = std::current_exception();
    }
    if (std::exception_ptr e = co_await detail::close_scope(*g.state_, std::move(body_error))) {
        std::rethrow_exception(e);
    }
    if constexpr (!std::is_void_v<R>) {
        co_return std::move(*value);
    }
}

/// Runs body(group) as the body of a task group scope: asyncio's `async with TaskGroup() as tg:`.
///
///     int n = co_await weft::with_task_group([&](weft::task_group& tg) -> weft::task<int> {
///         tg.create_task(worker(1));
///         tg.create_task(worker(2));
///         co_await weft::sleep(10s);   // ends at once with cancelled_error if a worker fails
///         co_return 3;
///     });                              // returns once every member has finished
///
/// The first member failure cancels the other members and the awaiting task's current await in
/// the body (asyncio cancels the parent task), then the scope waits for every member and throws
/// that failure; it withdraws its own cancellation (asyncio's uncancel()), so that a cancel of the
/// task from outside still surfaces as cancelled_error. A body that throws cancels the members,
/// waits for them, and its exception propagates (a member failure takes precedence, as asyncio
/// lists member errors first). Cancelling the awaiting task cancels body and members. body is
/// called once with the group and must return an awaitable (a task); it and what it captures
/// live until the scope returns. Use it on a loop, from a task.
template <class F>
requires std::is_invocable_v<F&, task_group&> && awaitable<std::invoke_result_t<F&, task_group&>>
[[nodiscard]] task<detail::scope_result_t<F>> with_task_group(F body) {
    return detail_with_task_group<F, detail::scope_result_t<F>>(std::move(body));
}

} // namespace weft
