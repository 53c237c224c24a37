#pragma once

#include <weft/runtime/detail/cancel_state.hpp>
#include <weft/runtime/detail/future_state.hpp>
#include <weft/runtime/detail/loop_ops.hpp>
#include <weft/runtime/outcome.hpp>
#include <weft/runtime/task.hpp>

#include <coroutine>
#include <cstddef>
#include <exception>
#include <utility>

namespace weft::detail {

class child_group;

/// One child task of a gather / wait_for / shield, run in its own cancellation slot.
class child_base : public completion_sink {
public:
    /// Starts the child, or finishes it as cancelled when a cancel came first (it never runs).
    virtual void start() noexcept = 0;
    [[nodiscard]] virtual std::exception_ptr error() const noexcept = 0;

    cancel_state cancel_;
    child_group* group_ = nullptr;
    bool done_ = false;
    bool failed_ = false;

protected:
    ~child_base() = default;
};

template <class T>
class child final : public child_base {
public:
    using handle_type = std::coroutine_handle<task_promise<T>>;

    child() noexcept = default;
    child(const child&) = delete;
    child& operator=(const child&) = delete;
    ~child() {
        if (h_) {
            h_.destroy(); // never started
        }
    }

    void init(task<T> t, child_group* g) {
        h_ = t.release();
        group_ = g;
        h_.promise().bind(&cancel_, this);
    }

    void start() noexcept override;
    std::coroutine_handle<> on_done(std::coroutine_handle<>) noexcept override;

    [[nodiscard]] std::exception_ptr error() const noexcept override { return out_.exception(); }

    outcome<T>& result() noexcept { return out_; }

private:
    handle_type h_;
    outcome<T> out_;
};

/// Runs children concurrently on the current loop and resumes the awaiting coroutine when all are
/// done; never earlier, so no child outlives the awaiting frame. Non-template core in
/// runtime/src/child_group.cpp.
class child_group {
public:
    enum class mode {
        fail_fast, ///< the first failure cancels the others (gather, wait_for)
        settle,    ///< failures are collected, nothing is cancelled for them (gather_settled)
        shield,    ///< the outer task's cancellation does not reach the children (shield)
    };

    child_group(child_base* const* children, std::size_t count, mode m) noexcept
        : children_(children), count_(count), mode_(m) {}
    child_group(const child_group&) = delete;
    child_group& operator=(const child_group&) = delete;
    ~child_group();

    /// Cancels the children after d (wait_for); set before awaiting.
    void set_deadline(clock::time_point t) noexcept {
        timer_.deadline = t;
        has_deadline_ = true;
    }

    [[nodiscard]] bool await_ready() const noexcept { return count_ == 0; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
        return suspend(h, cancel_slot_of(h));
    }
    void await_resume() noexcept;

    /// Called by a child as it finishes; returns what to resume next.
    std::coroutine_handle<> child_done(child_base* c) noexcept;

    /// Whether the awaiting task was cancelled (the children were cancelled and have unwound).
    [[nodiscard]] bool outer_cancelled() const noexcept { return outer_cancelled_; }
    /// Whether the deadline passed before the children finished.
    [[nodiscard]] bool timed_out() const noexcept { return timed_out_; }
    /// The first child that failed (fail_fast), or null.
    [[nodiscard]] child_base* first_failure() const noexcept { return first_failure_; }

private:
    bool suspend(std::coroutine_handle<> h, cancel_state* outer);
    void cancel_children() noexcept;
    static bool on_outer_cancel(void* self) noexcept;
    static void on_deadline(timer_node* n) noexcept;

    struct timer_entry : timer_node {
        child_group* self = nullptr;
    };

    child_base* const* children_;
    std::size_t count_;
    mode mode_;
    std::size_t remaining_ = 0;
    std::coroutine_handle<> waiter_;
    cancel_state* outer_ = nullptr;
    loop* loop_ = nullptr;
    child_base* first_failure_ = nullptr;
    timer_entry timer_;
    bool has_deadline_ = false;
    bool suspended_ = false;
    bool cancelling_ = false;
    bool outer_cancelled_ = false;
    bool timed_out_ = false;
};

template <class T>
void child<T>::start() noexcept {
    if (cancel_.consume()) {
        std::exchange(h_, {}).destroy();
        out_.set_exception(make_cancelled("task was cancelled before it started"));
        failed_ = true;
        (void)group_->child_done(this);
        return;
    }
    h_.resume();
}

template <class T>
std::coroutine_handle<> child<T>::on_done(std::coroutine_handle<>) noexcept {
    auto& p = h_.promise();
    if (std::exception_ptr e = p.exception()) {
        out_.set_exception(std::move(e));
        failed_ = true;
    } else if constexpr (std::is_void_v<T>) {
        out_.set_value(std::monostate{});
    } else {
        try {
            out_.set_value(p.take());
        } catch (...) {
            out_.set_exception(std::current_exception());
            failed_ = true;
        }
    }
    std::exchange(h_, {}).destroy();
    return group_->child_done(this);
}

} // namespace weft::detail
