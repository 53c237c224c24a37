#pragma once

// Private: the timer behind call_later() and call_at(), which keeps itself alive while armed and
// may be cancelled from any thread. Implemented in loop.cpp.

#include <weft/runtime/detail/loop_ops.hpp>
#include <weft/runtime/detail/unique_function.hpp>

#include <atomic>
#include <memory>

namespace weft::detail {

/// A callback scheduled with call_later/call_at. Owns itself (self_) while in the timer heap.
class callback_timer : public std::enable_shared_from_this<callback_timer> {
public:
    callback_timer(loop& l, unique_function<void()> fn) : loop_(&l), fn_(std::move(fn)) {
        node_.fire = &fire;
        node_.owner = this;
    }

    /// Arms it; loop thread only.
    void arm(clock::time_point when);
    /// Disarms it; any thread.
    void cancel() noexcept;
    [[nodiscard]] bool cancelled() const noexcept {
        return cancelled_.load(std::memory_order_acquire);
    }
    [[nodiscard]] clock::time_point when() const noexcept { return when_; }

    /// Whether n belongs to a callback_timer (for dropping them when a loop closes).
    [[nodiscard]] static bool owns(const timer_node* n) noexcept { return n->fire == &fire; }
    /// Releases the heap's reference to the callback_timer of n.
    static void discard(timer_node* n) noexcept;

private:
    static void fire(timer_node* n) noexcept;
    void disarm_on_loop() noexcept;

    struct owned_node : timer_node {
        callback_timer* owner = nullptr;
    };

    owned_node node_;
    loop* loop_;
    unique_function<void()> fn_;
    clock::time_point when_{};
    std::atomic<bool> cancelled_{false};
    std::shared_ptr<callback_timer> self_;
};

} // namespace weft::detail
