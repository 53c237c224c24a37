// weft::timeout_scope: the deadline behind weft::timeout()/timeout_at(). The timer cancels the
// task running the scope; exit() withdraws that cancellation (uncancel) and reports timeout_error
// when no other cancellation is left, as asyncio.Timeout.__aexit__ does.

#include <weft/runtime/error.hpp>
#include <weft/runtime/timeout.hpp>

namespace weft {

timeout_scope::~timeout_scope() {
    disarm();
}

void timeout_scope::enter(detail::cancel_state* slot, std::optional<clock::time_point> when) {
    loop_ = detail::current_loop_ptr();
    if (slot == nullptr || loop_ == nullptr) {
        throw invalid_state_error(
            "weft::timeout must be awaited from a weft task on a loop (it cancels that task)");
    }
    slot_ = slot;
    cancels_before_ = slot->cancelling();
    when_ = when;
    arm();
}

void timeout_scope::reschedule(std::optional<clock::time_point> when) {
    if (exited_ || state_ != state::entered) {
        throw invalid_state_error(
            "weft::timeout_scope::reschedule() after the deadline passed or the scope ended");
    }
    disarm();
    when_ = when;
    arm();
}

void timeout_scope::arm() {
    if (!when_ || loop_ == nullptr) {
        return;
    }
    timer_.self = this;
    timer_.fire = &on_deadline;
    timer_.deadline = *when_; // a deadline already past fires at the loop's next timer check
    detail::add_timer(*loop_, &timer_);
}

void timeout_scope::disarm() noexcept {
    if (loop_ != nullptr && timer_.armed()) {
        detail::remove_timer(*loop_, &timer_);
    }
}

void timeout_scope::on_deadline(detail::timer_node* n) noexcept {
    timeout_scope* self = static_cast<timer_entry*>(n)->self;
    self->state_ = state::expiring;
    self->slot_->request(); // the body's current await ends with cancelled_error
}

std::exception_ptr timeout_scope::exit(std::exception_ptr body_error) noexcept {
    disarm();
    exited_ = true;
    if (state_ != state::expiring) {
        return body_error;
    }
    state_ = state::expired;
    // Withdraw our request; with no other cancellation left, the cancellation is ours.
    if (slot_->uncancel() <= cancels_before_ && body_error && detail::is_cancellation(body_error)) {
        try {
            throw timeout_error("weft::timeout: the deadline passed and the body was cancelled");
        } catch (...) {
            return std::current_exception();
        }
    }
    return body_error;
}

} // namespace weft
