#pragma once

#include <weft/runtime/error.hpp>

#include <cstdint>
#include <utility>

namespace weft::detail {

class root_base;

/// The cancellation slot of one chain of awaits (a scheduled task and everything it awaits
/// directly). Only ever touched on the chain's home loop, so it needs no synchronisation;
/// cross-thread cancel requests are posted to that loop first.
///
/// At most one suspension point of the chain is active at a time, and it may install a hook that
/// delivers the cancellation (cancel a timer, forward to children). A request that no hook takes
/// stays pending and is consumed by the chain's next suspension point.
class cancel_state {
public:
    /// Delivers a cancellation; returns false when it could not (the request then stays pending).
    using hook_fn = bool (*)(void*) noexcept;

    /// Requests cancellation: through the installed hook, else left pending. Every request counts
    /// (asyncio's Task.cancelling()), even one merged into a request already on its way.
    void request() noexcept {
        if (requests_ != UINT32_MAX) {
            ++requests_;
        }
        if (hook_ == nullptr && arg_ == delivered_marker()) {
            return; // one is on its way to the suspension point: cancel() is idempotent
        }
        if (hook_ != nullptr) {
            hook_fn h = std::exchange(hook_, nullptr);
            void* arg = std::exchange(arg_, nullptr);
            if (h(arg)) {
                arg_ = delivered_marker(); // until the suspension point resumes
                return;
            }
        }
        arg_ = pending_marker();
    }

    /// Requests made and not withdrawn by uncancel() (asyncio's Task.cancelling()).
    [[nodiscard]] std::uint32_t cancelling() const noexcept { return requests_; }

    /// Withdraws one request (asyncio's Task.uncancel()): for code that cancelled the chain itself
    /// and absorbed the resulting cancelled_error (a task group scope, a timeout scope). When the
    /// count drops to zero a request still pending is dropped too. Returns the count left.
    std::uint32_t uncancel() noexcept {
        if (requests_ > 0 && --requests_ == 0 && pending()) {
            arg_ = nullptr;
        }
        return requests_;
    }

    /// Whether a request waits for the next suspension point.
    [[nodiscard]] bool pending() const noexcept {
        return hook_ == nullptr && arg_ == pending_marker();
    }

    /// Takes a pending request, if any.
    bool consume() noexcept {
        if (pending()) {
            arg_ = nullptr;
            return true;
        }
        return false;
    }

    /// Puts back a request that consume() took but could not deliver (it is not counted again).
    void restore() noexcept {
        if (hook_ == nullptr) {
            arg_ = pending_marker();
        }
    }

    /// Installs the active suspension point's hook (no request is pending: it was consumed).
    void set_hook(hook_fn h, void* arg) noexcept {
        hook_ = h;
        arg_ = arg;
    }

    /// The suspension point resumed: its hook (or a delivered cancellation) is done with.
    void clear_hook() noexcept {
        if (hook_ != nullptr || arg_ == delivered_marker()) {
            hook_ = nullptr;
            arg_ = nullptr;
        }
    }

    /// The scheduled task whose chain this is (null for a gather / wait_for child's chain): what
    /// current_task() reports and where a cancel message is kept.
    [[nodiscard]] root_base* owner() const noexcept { return owner_; }
    void set_owner(root_base* r) noexcept { owner_ = r; }

private:
    // Three words and a count: while a hook is installed, arg_ is its argument; otherwise arg_ is
    // null, the pending marker, or the delivered marker (a hook took a request and the suspension
    // point has not resumed yet). A scheduled task pays for this slot, so it stays small.
    [[nodiscard]] static void* pending_marker() noexcept {
        return const_cast<void*>(static_cast<const void*>(&markers[0]));
    }
    [[nodiscard]] static void* delivered_marker() noexcept {
        return const_cast<void*>(static_cast<const void*>(&markers[1]));
    }
    static constexpr char markers[2] = {0, 0};

    hook_fn hook_ = nullptr;
    void* arg_ = nullptr;
    root_base* owner_ = nullptr;
    std::uint32_t requests_ = 0;
};

/// The cancelled_error a suspension point of the chain throws: with the message of the owning
/// task's cancel(message), when it has one. Cold path (defined in task_identity.cpp).
[[nodiscard]] cancelled_error cancelled_in(const cancel_state* slot, const char* what);

} // namespace weft::detail
