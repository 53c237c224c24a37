// The non-template part of the state future and promise share (detail/future_state.hpp): a
// lock-free stack of waiters that publishing the result closes with a done marker (the waiters
// then fire in arrival order), and the claim that lets only one of the producer and cancel()
// complete it. Also: telling a cancellation from other exceptions without a rethrow.
#include <weft/runtime/detail/future_state.hpp>

#include <typeinfo>

namespace weft::detail {

bool is_cancellation(const std::exception_ptr& e) noexcept {
    if (!e) {
        return false;
    }
#if defined(__GLIBCXX__)
    // The thrown object's type, without the cost of a rethrow (cancelled_error is final).
    if (const std::type_info* t = e.__cxa_exception_type(); t != nullptr) {
        return *t == typeid(cancelled_error);
    }
#endif
    try {
        std::rethrow_exception(e);
    } catch (const cancelled_error&) {
        return true;
    } catch (...) {
        return false;
    }
}

std::exception_ptr make_cancelled(const char* what) {
    return std::make_exception_ptr(cancelled_error(what));
}

bool future_state_base::add_waiter(waiter_node* w) noexcept {
    void* head = waiters_.load(std::memory_order_acquire);
    do {
        if (head == done_marker()) {
            return false;
        }
        w->next = static_cast<waiter_node*>(head);
    } while (!waiters_.compare_exchange_weak(head, w, std::memory_order_acq_rel,
                                             std::memory_order_acquire));
    return true;
}

void future_state_base::publish(bool cancelled) noexcept {
    cancelled_ = cancelled;
    // Release: the result and cancelled_ written above are visible to whoever sees the marker.
    void* head = waiters_.exchange(done_marker(), std::memory_order_acq_rel);
    // The stack holds the newest first; fire in arrival order.
    waiter_node* reversed = nullptr;
    for (auto* w = static_cast<waiter_node*>(head); w != nullptr;) {
        waiter_node* next = w->next;
        w->next = reversed;
        reversed = w;
        w = next;
    }
    while (reversed != nullptr) {
        waiter_node* next = reversed->next; // fire may free the node
        reversed->fire(reversed);
        reversed = next;
    }
}

bool future_state_base::cancel() noexcept {
    std::uint8_t expected = open;
    if (!claim_.compare_exchange_strong(expected, by_cancel, std::memory_order_acq_rel)) {
        return false;
    }
    try {
        store_exception(make_cancelled("future was cancelled"));
    } catch (...) {
        store_exception(std::current_exception()); // out of memory: still complete it
    }
    publish(true);
    return true;
}

bool future_state_base::cancel_with(std::string message) noexcept {
    std::uint8_t expected = open;
    if (!claim_.compare_exchange_strong(expected, by_cancel, std::memory_order_acq_rel)) {
        return false;
    }
    try {
        store_exception(
            std::make_exception_ptr(cancelled_error("future was cancelled", std::move(message))));
    } catch (...) {
        store_exception(std::current_exception()); // out of memory: still complete it
    }
    publish(true);
    return true;
}

bool future_state_base::claim_for_producer() {
    std::uint8_t expected = open;
    if (claim_.compare_exchange_strong(expected, by_producer, std::memory_order_acq_rel)) {
        return true;
    }
    if (expected == by_cancel) {
        return false;
    }
    throw invalid_state_error(
        "weft::promise already satisfied: set_value/set_exception called twice");
}

} // namespace weft::detail
