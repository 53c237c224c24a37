#pragma once

#include <weft/runtime/awaitable.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/detail/cancel_state.hpp>
#include <weft/runtime/future.hpp>

#include <coroutine>
#include <cstddef>
#include <exception>
#include <memory>
#include <unordered_set>

namespace weft {

namespace detail {

/// What a task_group's members report to; outlives the group while members run.
struct task_group_state : std::enable_shared_from_this<task_group_state> {
    loop* home = nullptr;
    std::unordered_set<future_state_base*> members; // one reference each
    std::exception_ptr first_error;
    std::coroutine_handle<> joiner;
    cancel_state* joiner_slot = nullptr;
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
    /// @throws invalid_state_error after join() finished, or from another loop.
    template <class A>
    requires awaitable<A> future<await_result_t<A>> create_task(A&& aw) {
        check_open();
        future<await_result_t<A>> f = weft::create_task(std::forward<A>(aw));
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
    void check_open() const;
    std::shared_ptr<detail::task_group_state> state_;
};

} // namespace weft
