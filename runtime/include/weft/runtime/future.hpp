#pragma once

#include <weft/runtime/detail/future_state.hpp>
#include <weft/runtime/task.hpp>

#include <coroutine>
#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

namespace weft {

template <class T = void>
class promise;

namespace detail {
/// The name of the task behind s; empty for an unnamed task or a promise's future.
[[nodiscard]] std::string task_name(future_state_base& s);
/// Names the task behind s. @throws invalid_state_error for a promise's future or off its loop.
void set_task_name(future_state_base& s, std::string name);
/// Whether r was cancelled with a message.
[[nodiscard]] bool has_cancel_message(const root_base& r) noexcept;
} // namespace detail

/// The shared result of an operation (asyncio.Future): copyable, awaitable from any loop and any
/// number of times; the awaiting coroutine always resumes on its own loop. Returned by
/// create_task, spawn and promise::get_future.
template <class T = void>
class [[nodiscard]] future {
public:
    using value_type = T;
    using state_type = detail::future_state<T>;

    future() noexcept = default;
    /// Adopts one reference to s.
    explicit future(state_type* s) noexcept : s_(s) {}
    future(const future& o) noexcept : s_(o.s_) {
        if (s_) {
            s_->add_ref();
        }
    }
    future(future&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    future& operator=(future o) noexcept {
        std::swap(s_, o.s_);
        return *this;
    }
    ~future() {
        if (s_) {
            s_->release();
        }
    }

    /// Whether this future refers to a state (false when default-constructed or moved from).
    [[nodiscard]] bool valid() const noexcept { return s_ != nullptr; }
    /// Whether a value, an exception or a cancellation is in.
    [[nodiscard]] bool done() const { return state().done(); }
    /// Whether it completed by cancellation.
    [[nodiscard]] bool cancelled() const { return state().cancelled(); }

    /// Requests cancellation (asyncio's Future.cancel): a task sees cancelled_error at its current
    /// or next suspension point; a promise's future completes as cancelled at once. Returns false
    /// when already done. Safe from any thread.
    bool cancel() { return state().cancel(); }

    /// cancel() with a message (asyncio 3.9's Future.cancel(msg)): the cancelled_error raised in
    /// the task (at sleeps, future awaits and waits on weft's sync primitives) and the one this
    /// future then holds carry it: message() returns it and what() ends with it. A later
    /// cancel(message) replaces it, as in asyncio. Safe from any thread.
    bool cancel(std::string message) { return state().cancel_with(std::move(message)); }

    /// The task's name (asyncio's Task.get_name()); empty for an unnamed task and for a
    /// promise's future. Read it on the task's home loop, or from elsewhere only while nothing
    /// renames the task or cancels it with a message (both write the task's name record).
    [[nodiscard]] std::string name() const { return detail::task_name(state()); }

    /// Renames the task (asyncio's Task.set_name()).
    /// @throws invalid_state_error for a promise's future, or when called off the task's loop.
    void set_name(std::string name) { detail::set_task_name(state(), std::move(name)); }

    /// The value; rethrows the exception (cancelled_error when cancelled).
    /// @throws invalid_state_error when not done yet, or when a move-only value was moved out.
    decltype(auto) result() const {
        require_done("result");
        if constexpr (std::is_void_v<T>) {
            (void)state().value();
        } else {
            return state().value();
        }
    }

    /// The exception it completed with, or null for a value.
    /// @throws invalid_state_error when not done yet.
    [[nodiscard]] std::exception_ptr exception() const {
        require_done("exception");
        return state().exception();
    }

    /// Calls fn(future) once done: on the loop that added it when added from a loop thread, else
    /// on the thread that completes the future. Called soon (not inline) if already done.
    template <class F>
    void add_done_callback(F fn) {
        static_assert(std::is_invocable_v<F&, const future&> || std::is_invocable_v<F&>,
                      "a done callback takes (const weft::future<T>&) or nothing");
        struct node final : detail::waiter_node {
            F fn;
            future self;
            loop* home;
            node(F f, future s, loop* h) : fn(std::move(f)), self(std::move(s)), home(h) {}
            void call() {
                if constexpr (std::is_invocable_v<F&, const future&>) {
                    fn(self);
                } else {
                    fn();
                }
            }
        };
        auto* n = new node(std::move(fn), *this, detail::current_loop_ptr());
        n->fire = [](detail::waiter_node* w) noexcept {
            auto* self = static_cast<node*>(w);
            auto run = [self] {
                std::unique_ptr<node> owned(self);
                owned->call();
            };
            if (self->home == nullptr) {
                run();
            } else if (self->home == detail::current_loop_ptr()) {
                detail::schedule(*self->home,
                                 {[](void* p) noexcept {
                                      std::unique_ptr<node> owned(static_cast<node*>(p));
                                      owned->call();
                                  },
                                  self});
            } else {
                detail::post(*self->home, std::move(run));
            }
        };
        if (!state().add_waiter(n)) {
            n->fire(n);
        }
    }

    class awaiter {
    public:
        awaiter(state_type* s, bool take) noexcept : s_(s), take_(take) {}
        [[nodiscard]] bool await_ready() const noexcept { return s_->done(); }

        template <class P>
        bool await_suspend(std::coroutine_handle<P> h) {
            node_.h = h;
            node_.home = detail::current_loop_ptr();
            node_.fire = [](detail::waiter_node* w) noexcept {
                auto* n = static_cast<node*>(w);
                detail::resume_on(n->home, n->h);
            };
            if (!s_->add_waiter(&node_)) {
                return false;
            }
            slot_ = detail::cancel_slot_of(h);
            if (slot_ != nullptr) {
                if (slot_->consume()) {
                    hooked_ = s_->cancel();
                    if (!hooked_) {
                        slot_->restore(); // too late to cancel: keep it for the next suspension
                    }
                }
                slot_->set_hook(
                    [](void* self) noexcept {
                        auto* a = static_cast<awaiter*>(self);
                        a->hooked_ = a->s_->cancel();
                        return a->hooked_;
                    },
                    this);
            }
            return true;
        }

        decltype(auto) await_resume() {
            if (slot_ != nullptr) {
                slot_->clear_hook();
                if (hooked_) [[unlikely]] {
                    rethrow_cancelled(); // this chain cancelled it: with the chain's message
                }
            }
            if constexpr (std::is_void_v<T>) {
                (void)s_->value();
            } else if constexpr (std::is_copy_constructible_v<T>) {
                // Copy, unless this rvalue future is the state's last owner.
                if (take_ && s_->unique()) {
                    return T(s_->take_value());
                }
                return T(s_->value());
            } else {
                if (!take_) {
                    throw invalid_state_error(
                        "weft::future of a move-only type: take the value with "
                        "co_await std::move(fut) (once)");
                }
                return T(s_->take_value());
            }
        }

    private:
        void rethrow_cancelled() const {
            const detail::root_base* owner = slot_->owner();
            if (owner != nullptr && detail::has_cancel_message(*owner) && s_->cancelled()) {
                throw detail::cancelled_in(slot_, "awaited future was cancelled");
            }
        }

        struct node : detail::waiter_node {
            std::coroutine_handle<> h;
            loop* home = nullptr;
        };
        state_type* s_;
        detail::cancel_state* slot_ = nullptr;
        node node_;
        bool take_;
        bool hooked_ = false; ///< this chain's cancellation cancelled the awaited future
    };

    awaiter operator co_await() const& { return awaiter{&state(), false}; }
    awaiter operator co_await() && { return awaiter{&state(), true}; }

    /// The shared state (for weft's own machinery).
    [[nodiscard]] state_type& state() const {
        if (s_ == nullptr) {
            throw invalid_state_error("weft::future is empty (default-constructed or moved from)");
        }
        return *s_;
    }

private:
    void require_done(const char* what) const {
        if (!done()) {
            throw invalid_state_error(std::string("weft::future::") + what +
                                      "() called before the future is done; co_await it first");
        }
    }

    state_type* s_ = nullptr;
};

/// The producer side of a future (asyncio's loop.create_future() + set_result): completes it from
/// any thread; waiters resume on their own loops. Destroying an unsatisfied promise completes the
/// future with broken_promise_error.
template <class T>
class promise {
public:
    promise() : s_(new detail::future_state<T>()) {}
    promise(promise&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    promise& operator=(promise o) noexcept {
        std::swap(s_, o.s_);
        return *this;
    }
    promise(const promise&) = delete;
    ~promise() {
        if (s_ == nullptr) {
            return;
        }
        if (s_->try_claim_for_producer()) {
            s_->store_exception(std::make_exception_ptr(
                broken_promise_error("weft::promise destroyed without a value or an exception")));
            s_->complete();
        }
        s_->release();
    }

    /// The future this promise completes; may be called more than once (copies share the state).
    [[nodiscard]] future<T> get_future() {
        s_->add_ref();
        return future<T>{s_};
    }

    /// Completes with a value; false when a consumer cancelled the future first.
    /// @throws invalid_state_error when already completed by this promise.
    template <class... Args>
    bool set_value(Args&&... args) {
        if (!state().claim_for_producer()) {
            return false;
        }
        if constexpr (std::is_void_v<T>) {
            static_assert(sizeof...(Args) == 0, "promise<void>::set_value takes no argument");
            s_->set_value(std::monostate{});
        } else {
            s_->set_value(T(std::forward<Args>(args)...));
        }
        s_->complete();
        return true;
    }

    /// Completes with an exception; false when a consumer cancelled the future first.
    /// @throws invalid_state_error when already completed by this promise.
    bool set_exception(std::exception_ptr e) {
        if (!state().claim_for_producer()) {
            return false;
        }
        s_->store_exception(std::move(e));
        s_->complete();
        return true;
    }

    /// Completes the future as cancelled (the work will not be done); false when already done.
    bool cancel() { return state().cancel(); }

    /// cancel() with a message (asyncio 3.9's Future.cancel(msg)): the cancelled_error raised in
    /// the task (at sleeps, future awaits and waits on weft's sync primitives) and the one this
    /// future then holds carry it: message() returns it and what() ends with it. A later
    /// cancel(message) replaces it, as in asyncio. Safe from any thread.
    bool cancel(std::string message) { return state().cancel_with(std::move(message)); }

    /// The task's name (asyncio's Task.get_name()); empty for an unnamed task and for a
    /// promise's future. Read it on the task's home loop, or from elsewhere only while nothing
    /// renames the task or cancels it with a message (both write the task's name record).
    [[nodiscard]] std::string name() const { return detail::task_name(state()); }

    /// Renames the task (asyncio's Task.set_name()).
    /// @throws invalid_state_error for a promise's future, or when called off the task's loop.
    void set_name(std::string name) { detail::set_task_name(state(), std::move(name)); }

    /// Whether the future was cancelled, so that a value set now would be discarded.
    [[nodiscard]] bool future_cancelled() const noexcept {
        return s_ != nullptr && s_->cancel_claimed();
    }

private:
    detail::future_state<T>& state() {
        if (s_ == nullptr) {
            throw invalid_state_error("weft::promise is empty (moved from)");
        }
        return *s_;
    }

    detail::future_state<T>* s_;
};

} // namespace weft
