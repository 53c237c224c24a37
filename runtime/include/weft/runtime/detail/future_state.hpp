#pragma once

#include <weft/runtime/detail/debug.hpp>
#include <weft/runtime/detail/loop_ops.hpp>
#include <weft/runtime/error.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <string>
#include <type_traits>
#include <variant>

namespace weft::detail {

class root_base;

/// Someone waiting for a future: an awaiting coroutine or a done callback. Intrusive, so that an
/// awaiter costs no allocation.
struct waiter_node {
    waiter_node* next = nullptr;
    void (*fire)(waiter_node*) noexcept = nullptr;
};

/// Whether e holds a weft::cancelled_error.
[[nodiscard]] bool is_cancellation(const std::exception_ptr& e) noexcept;

/// The exception a cancelled future holds.
[[nodiscard]] std::exception_ptr make_cancelled(const char* what);

/// The shared, reference-counted state behind future<T>. Completed exactly once, from any thread;
/// waiters are a lock-free intrusive stack that completion swaps for a "done" marker.
class future_state_base {
public:
    future_state_base() noexcept = default;
    future_state_base(const future_state_base&) = delete;
    future_state_base& operator=(const future_state_base&) = delete;

    void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
    void release() noexcept {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            delete this;
        }
    }
    [[nodiscard]] bool unique() const noexcept {
        return refs_.load(std::memory_order_acquire) == 1;
    }

    [[nodiscard]] bool done() const noexcept {
        return waiters_.load(std::memory_order_acquire) == done_marker();
    }
    [[nodiscard]] bool cancelled() const noexcept { return done() && cancelled_; }

    /// Adds a waiter; false (and nothing added) when the state is already done.
    bool add_waiter(waiter_node* w) noexcept;

    /// The exception it completed with, or null (only meaningful once done).
    [[nodiscard]] virtual std::exception_ptr error() const noexcept = 0;

    /// Requests cancellation; false when already done. Thread-safe.
    virtual bool cancel() noexcept;

    /// cancel() whose cancelled_error carries message (asyncio's Future.cancel(msg)).
    virtual bool cancel_with(std::string message) noexcept;

    /// The scheduled task behind this state, or null for a promise's future.
    [[nodiscard]] virtual root_base* as_root() noexcept { return nullptr; }

    /// Producer side: reserves the right to complete; false when a consumer cancelled first.
    /// @throws invalid_state_error when the producer already completed it.
    bool claim_for_producer();

    /// Whether the future was cancelled before the producer completed it.
    [[nodiscard]] bool cancel_claimed() const noexcept {
        return claim_.load(std::memory_order_acquire) == by_cancel;
    }

    /// Like claim_for_producer, without throwing: false when anyone completed it already.
    bool try_claim_for_producer() noexcept {
        std::uint8_t expected = open;
        return claim_.compare_exchange_strong(expected, by_producer, std::memory_order_acq_rel);
    }

protected:
    virtual ~future_state_base() = default;

    /// Marks done and fires every waiter in the order they arrived. Call once, after the result.
    void publish(bool cancelled) noexcept;

    /// Stores a cancelled_error as the result (plain futures only).
    virtual void store_exception(std::exception_ptr e) noexcept = 0;

    enum : std::uint8_t { open = 0, by_producer = 1, by_cancel = 2 };

private:
    [[nodiscard]] static void* done_marker() noexcept {
        static char marker;
        return &marker;
    }

    std::atomic<std::uint32_t> refs_{1};

protected:
    std::atomic<std::uint8_t> claim_{open};

    /// Set once a move-only value was moved out (co_await std::move(fut)).
    std::atomic<bool> taken_{false};

    /// Set once someone looked at the exception (debug mode's "exception never retrieved").
    mutable std::atomic<bool> retrieved_{false};
    void mark_retrieved() const noexcept { retrieved_.store(true, std::memory_order_relaxed); }

private:
    bool cancelled_ = false;
    std::atomic<void*> waiters_{nullptr};
};

template <class T>
using stored_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

/// future_state_base with the result.
template <class T>
class future_state : public future_state_base {
public:
    using value_type = stored_t<T>;

    future_state() noexcept = default;
    future_state(const future_state&) = delete;
    future_state& operator=(const future_state&) = delete;

    void set_value(value_type v) { result_.template emplace<1>(std::move(v)); }
    void store_exception(std::exception_ptr e) noexcept override {
        result_.template emplace<2>(std::move(e));
    }

    [[nodiscard]] bool has_exception() const noexcept { return result_.index() == 2; }
    [[nodiscard]] std::exception_ptr error() const noexcept override {
        if (result_.index() != 2) {
            return nullptr;
        }
        this->mark_retrieved();
        return std::get<2>(result_);
    }
    [[nodiscard]] const std::exception_ptr& exception() const noexcept {
        static const std::exception_ptr none;
        if (result_.index() != 2) {
            return none;
        }
        this->mark_retrieved();
        return std::get<2>(result_);
    }
    [[nodiscard]] const value_type& value() const {
        if (result_.index() == 2) {
            this->mark_retrieved();
            std::rethrow_exception(std::get<2>(result_));
        }
        check_not_taken();
        return std::get<1>(result_);
    }
    [[nodiscard]] value_type take_value() {
        if (result_.index() == 2) {
            this->mark_retrieved();
            std::rethrow_exception(std::get<2>(result_));
        }
        if (taken_.exchange(true, std::memory_order_acq_rel)) {
            check_not_taken();
        }
        return std::move(std::get<1>(result_));
    }

    /// Moves the value out (nothing for void), or rethrows.
    T take_result() {
        if constexpr (std::is_void_v<T>) {
            (void)value();
        } else {
            return take_value();
        }
    }

    void check_not_taken() const {
        if (taken_.load(std::memory_order_acquire)) {
            throw invalid_state_error(
                "weft::future's value was already moved out by co_await std::move(future)");
        }
    }

    /// Publishes the stored result (producer side).
    void complete() noexcept {
        publish(result_.index() == 2 && is_cancellation(std::get<2>(result_)));
    }

protected:
    ~future_state() override {
        if (result_.index() == 2 && debug_enabled() &&
            !retrieved_.load(std::memory_order_relaxed)) {
            report_unretrieved(std::get<2>(result_));
        }
    }

    std::variant<std::monostate, value_type, std::exception_ptr> result_;
};

} // namespace weft::detail
