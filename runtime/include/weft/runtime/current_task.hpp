#pragma once

// Task identity (asyncio's current_task(), all_tasks(), Task.get_name()/set_name(),
// Task.cancelling()/uncancel()): a type-erased handle on a scheduled task.

#include <weft/runtime/detail/root.hpp>
#include <weft/runtime/future.hpp>

#include <compare>
#include <coroutine>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace weft {

/// A reference to a scheduled task (create_task, spawn, the main task of run), whatever its
/// result type: asyncio's Task seen as a Task, not as a Future. Copyable; keeps the task's state
/// alive (not the task running). Null when default-constructed. A task must not return a handle
/// on itself: its result would keep its own state alive (return id() instead).
///
/// Thread safety: done(), cancelled(), cancel() and id() from any thread; name(), set_name(),
/// cancelling() and uncancel() on the task's home loop.
class task_handle {
public:
    task_handle() noexcept = default;
    /// A handle on r (adds a reference).
    explicit task_handle(detail::root_base* r) noexcept : r_(r) {
        if (r_ != nullptr) {
            r_->shared().add_ref();
        }
    }
    /// The task behind f, or null for a promise's future.
    template <class T>
    explicit task_handle(const future<T>& f) : task_handle(f.state().as_root()) {}
    task_handle(const task_handle& o) noexcept : task_handle(o.r_) {}
    task_handle(task_handle&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
    task_handle& operator=(task_handle o) noexcept {
        std::swap(r_, o.r_);
        return *this;
    }
    ~task_handle() {
        if (r_ != nullptr) {
            r_->shared().release();
        }
    }

    /// Whether this handle refers to a task.
    [[nodiscard]] explicit operator bool() const noexcept { return r_ != nullptr; }

    /// An identity for logs and comparisons (the task's address; reused once it is freed).
    [[nodiscard]] const void* id() const noexcept { return r_; }

    /// The task's name; empty when it has none (see create_task's task_options).
    [[nodiscard]] std::string name() const;
    /// Renames the task. @throws invalid_state_error off the task's home loop.
    void set_name(std::string name);

    [[nodiscard]] bool done() const;
    [[nodiscard]] bool cancelled() const;
    /// Requests cancellation, as future::cancel(); false when already done.
    bool cancel();
    /// Requests cancellation with a message, as future::cancel(message).
    bool cancel(std::string message);

    /// Cancellation requests made and not withdrawn (asyncio 3.11's Task.cancelling()).
    /// @throws invalid_state_error off the task's home loop.
    [[nodiscard]] std::uint32_t cancelling() const;
    /// Withdraws one request and returns the count left (asyncio 3.11's Task.uncancel()): for
    /// code that absorbed a cancelled_error it caused itself. When the count reaches zero a
    /// request not yet delivered is dropped. @throws invalid_state_error off the home loop.
    std::uint32_t uncancel();

    friend bool operator==(const task_handle& a, const task_handle& b) noexcept {
        return a.r_ == b.r_;
    }

private:
    [[nodiscard]] detail::root_base& root() const;
    [[nodiscard]] detail::root_base& root_on_home(const char* what) const;

    detail::root_base* r_ = nullptr;
};

namespace detail {
/// What `co_await current_task()` does: reads the awaiting chain's task without suspending.
struct current_task_awaiter {
    task_handle found;
    [[nodiscard]] bool await_ready() const noexcept { return false; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
        if (cancel_state* s = cancel_slot_of(h); s != nullptr) {
            found = task_handle(s->owner());
        }
        return false;
    }
    [[nodiscard]] task_handle await_resume() noexcept { return std::move(found); }
};
} // namespace detail

/// `co_await weft::current_task()`: the scheduled task the awaiting coroutine runs in
/// (asyncio.current_task()); null in a gather / wait_for / shield child, which runs in a chain
/// of its own, and in a coroutine that is not a weft task. An awaitable rather than a plain
/// function because a loop does not record which task each step resumes (that would cost every
/// resumption a store); the awaiting coroutine's chain knows, at no cost.
[[nodiscard]] inline detail::current_task_awaiter current_task() noexcept {
    return {};
}

/// The live (started, unfinished) scheduled tasks of the current loop, oldest first
/// (asyncio.all_tasks(); a debugging aid).
/// @throws invalid_state_error when not called on a loop thread.
[[nodiscard]] std::vector<task_handle> all_tasks();

} // namespace weft
