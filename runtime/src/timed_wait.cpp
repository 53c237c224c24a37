// The shared set-up and take-down of weft::wait() and as_completed's next()
// (weft/runtime/detail/timed_wait.hpp): a pending cancel taken at the start, the timer and the
// cancellation hook armed once suspended and disarmed before the task goes on.
#include <weft/runtime/detail/timed_wait.hpp>
#include <weft/runtime/error.hpp>

#include <string>

namespace weft::detail {

bool timed_wait::cancelled_at_start(std::coroutine_handle<> h, cancel_state* slot,
                                    const char* who) {
    slot_ = slot;
    if (slot_ != nullptr && slot_->consume()) {
        cancelled_ = true;
        return true;
    }
    home_ = current_loop_ptr();
    if (home_ == nullptr) {
        throw invalid_state_error(std::string(who) + " awaited outside a weft loop");
    }
    h_ = h;
    return false;
}

void timed_wait::arm(std::optional<clock::time_point> when, timeout_fn on_timeout,
                     cancel_fn on_cancel, void* self) {
    if (when) {
        deadline = *when;
        fire = on_timeout;
        add_timer(*home_, this);
    }
    if (slot_ != nullptr) {
        slot_->set_hook(on_cancel, self);
    }
}

void timed_wait::disarm() noexcept {
    if (slot_ != nullptr) {
        slot_->clear_hook();
    }
    if (armed()) {
        remove_timer(*home_, this);
    }
}

void timed_wait::resume_cancelled() noexcept {
    if (armed()) {
        remove_timer(*home_, this);
    }
    cancelled_ = true;
    schedule(*home_, resume_runnable(h_));
}

} // namespace weft::detail
