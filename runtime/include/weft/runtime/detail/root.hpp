#pragma once

#include <weft/runtime/detail/cancel_state.hpp>
#include <weft/runtime/detail/future_state.hpp>
#include <weft/runtime/detail/loop_ops.hpp>
#include <weft/runtime/task.hpp>

#include <coroutine>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace weft::detail {

/// What only some tasks have: a name, a cancel message. Allocated on first use, so that an
/// unnamed task that is never cancelled with a message pays one null pointer.
struct task_extra {
    std::string name;
    std::optional<std::string> cancel_message;
};

/// A scheduled task (create_task, spawn, run): the root of a chain of awaits, owned by its home
/// loop until it finishes. Non-template half; the typed half is task_root<T>.
class root_base : public completion_sink {
public:
    explicit root_base(loop& home) noexcept : home_(&home) {}

    /// Runs the task's first step on the home loop, or finishes it as cancelled if a cancel
    /// arrived before it started (it then never runs, as in asyncio).
    void start() noexcept;

    /// Requests cancellation; on the home loop only.
    void request_cancel() noexcept { cancel_.request(); }

    /// Requests cancellation with a message (the latest one wins, as in asyncio); home loop only.
    void request_cancel(std::string message) noexcept;

    /// The task's name; empty when it has none. Home loop (or before the task is published).
    [[nodiscard]] const std::string& name() const noexcept;
    void set_name(std::string name);

    /// The message of the latest cancel(message), or null.
    [[nodiscard]] const std::string* cancel_message() const noexcept {
        return extra_ && extra_->cancel_message ? &*extra_->cancel_message : nullptr;
    }

    /// The task's cancellation slot (cancelling() / uncancel()); home loop only.
    [[nodiscard]] cancel_state& cancel_slot() noexcept { return cancel_; }

    /// The task's shared state (its future's reference count).
    [[nodiscard]] virtual future_state_base& shared() noexcept = 0;

    [[nodiscard]] loop& home() const noexcept { return *home_; }

    /// A runnable that starts this root.
    [[nodiscard]] runnable start_runnable() noexcept { return {&start_step, this}; }

    /// The runnable function of start_runnable() (a named function, so that debug mode can tell a
    /// task's first step and name its coroutine).
    static void start_step(void* root) noexcept { static_cast<root_base*>(root)->start(); }

    /// The task's coroutine frame; null once it finished.
    [[nodiscard]] virtual const void* frame() const noexcept = 0;

    // Intrusive list of the home loop's live roots.
    root_base* prev_ = nullptr;
    root_base* next_ = nullptr;

protected:
    ~root_base() = default;

    /// Resumes the coroutine for the first time.
    virtual void resume_first() noexcept = 0;
    /// Destroys the never-started coroutine and completes the future as cancelled.
    virtual void finish_unstarted() noexcept = 0;

    /// The cancelled_error of a task cancelled before it started.
    [[nodiscard]] std::exception_ptr cancelled_before_start() const;
    /// e, a cancellation, made to carry the cancel message when it has none of its own.
    [[nodiscard]] std::exception_ptr with_cancel_message(std::exception_ptr e) const noexcept;

    cancel_state cancel_;
    loop* home_;

public:
    /// Null unless the task has a name or a cancel message (see task_extra).
    std::unique_ptr<task_extra> extra_;

    /// The task run()/run_until_complete() waits for: never cancelled by shutdown.
    bool main_ = false;
};

/// The shared state of a scheduled task<T>: its future's state, its cancellation slot, its frame.
template <class T>
class task_root final : public future_state<T>, public root_base {
public:
    using handle_type = std::coroutine_handle<task_promise<T>>;

    task_root(loop& home, handle_type h) noexcept : root_base(home), h_(h) {
        this->add_ref(); // the running task's own reference, dropped when it finishes
        h_.promise().bind(&cancel_, this);
        cancel_.set_owner(this);
    }

    std::coroutine_handle<> on_done(std::coroutine_handle<>) noexcept override {
        std::exception_ptr e = h_.promise().exception();
        if (e && extra_ && extra_->cancel_message) [[unlikely]] {
            e = this->with_cancel_message(std::move(e));
        }
        if (e) {
            this->result_.template emplace<2>(std::move(e));
        } else if constexpr (std::is_void_v<T>) {
            this->result_.template emplace<1>();
        } else {
            this->result_.template emplace<1>(h_.promise().take());
        }
        finish();
        return std::noop_coroutine();
    }

    bool cancel() noexcept override {
        if (this->done()) {
            return false;
        }
        if (current_loop_ptr() == home_) {
            cancel_.request();
        } else {
            this->add_ref();
            try {
                post(*home_, [this] {
                    if (!this->done()) {
                        cancel_.request();
                    }
                    this->release();
                });
            } catch (...) {
                this->release();
                return false;
            }
        }
        return true;
    }

    bool cancel_with(std::string message) noexcept override {
        if (this->done()) {
            return false;
        }
        if (current_loop_ptr() == home_) {
            request_cancel(std::move(message));
            return true;
        }
        this->add_ref();
        try {
            post(*home_, [this, m = std::move(message)]() mutable {
                if (!this->done()) {
                    request_cancel(std::move(m));
                }
                this->release();
            });
        } catch (...) {
            this->release();
            return false;
        }
        return true;
    }

    [[nodiscard]] root_base* as_root() noexcept override { return this; }
    [[nodiscard]] future_state_base& shared() noexcept override { return *this; }

    [[nodiscard]] const void* frame() const noexcept override {
        return h_ ? h_.address() : nullptr;
    }

private:
    void resume_first() noexcept override { h_.resume(); }

    void finish_unstarted() noexcept override {
        try {
            this->result_.template emplace<2>(this->cancelled_before_start());
        } catch (...) {
            this->result_.template emplace<2>(std::current_exception());
        }
        finish();
    }

    void finish() noexcept {
        std::exchange(h_, {}).destroy();
        root_finished(*home_, this);
        this->complete();
        this->release();
    }

    handle_type h_;
};

} // namespace weft::detail
