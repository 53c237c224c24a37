#pragma once

#include <weft/runtime/detail/cancel_state.hpp>
#include <weft/runtime/detail/debug.hpp>
#include <weft/runtime/error.hpp>

#include <coroutine>
#include <cstdint>
#include <exception>
#include <type_traits>
#include <utility>
#include <variant>

namespace weft {

template <class T = void>
class task;

namespace detail {

/// Receives a task's completion instead of a continuation (scheduled roots, gather children).
/// Called from the task's final suspend; may destroy the frame; returns what to resume next.
class completion_sink {
public:
    virtual std::coroutine_handle<> on_done(std::coroutine_handle<> h) noexcept = 0;

protected:
    ~completion_sink() = default;
};

class promise_base {
public:
    struct final_awaiter {
        [[nodiscard]] bool await_ready() const noexcept { return false; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
            const std::uintptr_t next = h.promise().next_;
            if (next <= claimed) {
                return std::noop_coroutine();
            }
            if ((next & sink_bit) != 0) {
                return reinterpret_cast<completion_sink*>(next & ~sink_bit)->on_done(h);
            }
            return std::coroutine_handle<>::from_address(reinterpret_cast<void*>(next));
        }
        void await_resume() const noexcept {}
    };

    std::suspend_always initial_suspend() const noexcept { return {}; }
    final_awaiter final_suspend() const noexcept { return {}; }

    /// The cancellation slot of the chain this task runs in (null outside weft).
    [[nodiscard]] cancel_state* cancel_slot() const noexcept { return cancel_; }

    /// Hands the finished task to sink instead of a continuation (scheduled roots, children).
    void bind(cancel_state* slot, completion_sink* sink) noexcept {
        cancel_ = slot;
        next_ = reinterpret_cast<std::uintptr_t>(sink) | sink_bit;
    }

    void set_continuation(std::coroutine_handle<> c, cancel_state* slot) noexcept {
        next_ = reinterpret_cast<std::uintptr_t>(c.address());
        cancel_ = slot;
    }

    /// Marks the task as taken by an awaiter or a scheduler; throws on a second use.
    void claim() {
        if (next_ != 0) {
            throw invalid_state_error(
                "weft::task awaited or scheduled twice: a task runs once; keep its result, or "
                "create_task() it and await the future as often as needed");
        }
        next_ = claimed;
    }

    /// Whether nothing ever awaited or scheduled the task (debug mode's "never awaited").
    [[nodiscard]] bool unclaimed() const noexcept { return next_ == 0; }

private:
    // One word for what runs after the task: 0 = not yet claimed, 1 = claimed, a frame address
    // (continuation), or a completion_sink address tagged with the low bit. Frames and sinks are
    // at least 8-byte aligned, so the low bits are free.
    static constexpr std::uintptr_t claimed = 1;
    static constexpr std::uintptr_t sink_bit = 1;
    std::uintptr_t next_ = 0;
    cancel_state* cancel_ = nullptr;
};

/// The slot of the awaiting coroutine when it is a weft task, else null.
template <class P>
[[nodiscard]] cancel_state* cancel_slot_of(std::coroutine_handle<P> h) noexcept {
    if constexpr (std::is_base_of_v<promise_base, P>) {
        return h.promise().cancel_slot();
    } else {
        return nullptr;
    }
}

template <class T>
class task_promise final : public promise_base {
public:
    task<T> get_return_object() noexcept;

    template <class U = T>
    requires std::is_convertible_v<U&&, T>
    void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
        result_.template emplace<1>(std::forward<U>(v));
    }

    void unhandled_exception() noexcept { result_.template emplace<2>(std::current_exception()); }

    /// Moves the result out, or rethrows the task's exception.
    T take() {
        if (result_.index() == 2) {
            std::rethrow_exception(std::get<2>(result_));
        }
        return std::move(std::get<1>(result_));
    }

    [[nodiscard]] std::exception_ptr exception() const noexcept {
        return result_.index() == 2 ? std::get<2>(result_) : nullptr;
    }

private:
    std::variant<std::monostate, T, std::exception_ptr> result_;
};

template <>
class task_promise<void> final : public promise_base {
public:
    task<void> get_return_object() noexcept;
    void return_void() const noexcept {}
    void unhandled_exception() noexcept { error_ = std::current_exception(); }

    void take() const {
        if (error_) {
            std::rethrow_exception(error_);
        }
    }

    [[nodiscard]] std::exception_ptr exception() const noexcept { return error_; }

private:
    std::exception_ptr error_;
};

} // namespace detail

/// A lazy coroutine returning T: nothing runs until it is awaited or scheduled (create_task,
/// spawn, gather, run). Move-only; awaiting it twice or after a move throws invalid_state_error.
template <class T>
class [[nodiscard]] task {
    static_assert(!std::is_reference_v<T>,
                  "weft::task<T&> is not supported: return a pointer or std::reference_wrapper");

public:
    using promise_type = detail::task_promise<T>;
    using handle_type = std::coroutine_handle<promise_type>;
    using value_type = T;

    task() noexcept = default;
    explicit task(handle_type h) noexcept : h_(h) {}
    task(task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
    task& operator=(task&& other) noexcept {
        if (this != &other) {
            destroy();
            h_ = std::exchange(other.h_, {});
        }
        return *this;
    }
    task(const task&) = delete;
    task& operator=(const task&) = delete;
    ~task() { destroy(); }

    /// Whether this task owns a coroutine (false once moved from).
    [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(h_); }

    /// Whether the coroutine has finished (it was awaited to completion).
    [[nodiscard]] bool done() const noexcept { return h_ && h_.done(); }

    class awaiter {
    public:
        explicit awaiter(handle_type h) noexcept : h_(h) {}
        [[nodiscard]] bool await_ready() const noexcept { return false; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> caller) noexcept {
            h_.promise().set_continuation(caller, detail::cancel_slot_of(caller));
            return h_;
        }
        T await_resume() { return h_.promise().take(); }

    private:
        handle_type h_;
    };

    awaiter operator co_await() & { return awaiter{checked_claim()}; }
    awaiter operator co_await() && { return awaiter{checked_claim()}; }

    /// Gives up ownership of the (not yet started) coroutine; for schedulers.
    [[nodiscard]] handle_type release() {
        checked_claim();
        return std::exchange(h_, {});
    }

private:
    handle_type checked_claim() {
        if (!h_) {
            throw invalid_state_error(
                "weft::task is empty: it was moved from, released to a scheduler, or "
                "default-constructed");
        }
        h_.promise().claim();
        return h_;
    }

    void destroy() noexcept {
        if (h_) {
            if (detail::debug_enabled() && h_.promise().unclaimed()) {
                detail::report_never_awaited(h_.address());
            }
            std::exchange(h_, {}).destroy();
        }
    }

    handle_type h_;
};

namespace detail {

template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
    return task<T>{std::coroutine_handle<task_promise<T>>::from_promise(*this)};
}

inline task<void> task_promise<void>::get_return_object() noexcept {
    return task<void>{std::coroutine_handle<task_promise<void>>::from_promise(*this)};
}

} // namespace detail

} // namespace weft
