#pragma once

#include <utility>

namespace weft::detail {

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

    /// Requests cancellation: through the installed hook, else left pending.
    void request() noexcept {
        if (hook_ != nullptr) {
            hook_fn h = std::exchange(hook_, nullptr);
            if (h(hook_arg_)) {
                return;
            }
        }
        pending_ = true;
    }

    /// Whether a request waits for the next suspension point.
    [[nodiscard]] bool pending() const noexcept { return pending_; }

    /// Takes a pending request, if any.
    bool consume() noexcept { return std::exchange(pending_, false); }

    void set_hook(hook_fn h, void* arg) noexcept {
        hook_ = h;
        hook_arg_ = arg;
    }

    void clear_hook() noexcept { hook_ = nullptr; }

private:
    hook_fn hook_ = nullptr;
    void* hook_arg_ = nullptr;
    bool pending_ = false;
};

} // namespace weft::detail
