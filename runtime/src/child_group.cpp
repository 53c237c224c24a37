// The non-template core of gather, wait_for and shield (detail/child_group.hpp): children run on
// the current loop and the awaiting coroutine resumes only once all are done, so none outlives its
// frame. Here: starting and collecting them, cancelling the siblings of a failed child, passing on
// an outer cancellation, and the deadline of wait_for.
#include <weft/runtime/detail/child_group.hpp>

#include <weft/runtime/error.hpp>
#include <weft/runtime/wait_for.hpp>

#include <chrono>
#include <string>

namespace weft::detail {

child_group::~child_group() {
    if (timer_.armed()) {
        remove_timer(*loop_, &timer_);
    }
}

bool child_group::suspend(std::coroutine_handle<> h, cancel_state* outer) {
    loop_ = current_loop_ptr();
    if (loop_ == nullptr) {
        throw invalid_state_error("weft::gather/wait_for/shield awaited outside a weft loop");
    }
    waiter_ = h;
    if (mode_ != mode::shield) {
        outer_ = outer;
    }
    if (outer_ != nullptr && outer_->consume()) {
        // Cancelled before anything started: no child runs.
        outer_cancelled_ = true;
        cancelling_ = true;
        for (std::size_t i = 0; i < count_; ++i) {
            children_[i]->cancel_.request();
        }
    }
    remaining_ = count_ + 1; // +1 for this start phase, so no child resumes us while we start
    for (std::size_t i = 0; i < count_; ++i) {
        children_[i]->start();
    }
    if (--remaining_ == 0) {
        return false;
    }
    suspended_ = true;
    if (has_deadline_) {
        timer_.self = this;
        timer_.fire = &on_deadline;
        add_timer(*loop_, &timer_);
    }
    if (outer_ != nullptr) {
        outer_->set_hook(&on_outer_cancel, this);
    }
    return true;
}

void child_group::await_resume() noexcept {
    if (suspended_ && outer_ != nullptr) {
        outer_->clear_hook();
    }
    if (timer_.armed()) {
        remove_timer(*loop_, &timer_);
    }
}

std::coroutine_handle<> child_group::child_done(child_base* c) noexcept {
    c->done_ = true;
    if (c->failed_ && mode_ != mode::settle && !cancelling_ && first_failure_ == nullptr) {
        // A failure the group did not cause: it wins, and the siblings are cancelled.
        first_failure_ = c;
        cancelling_ = true;
        cancel_children();
    }
    if (--remaining_ == 0 && suspended_) {
        return waiter_;
    }
    return std::noop_coroutine();
}

void child_group::cancel_children() noexcept {
    for (std::size_t i = 0; i < count_; ++i) {
        if (!children_[i]->done_) {
            children_[i]->cancel_.request();
        }
    }
}

bool child_group::on_outer_cancel(void* self) noexcept {
    auto* g = static_cast<child_group*>(self);
    g->outer_cancelled_ = true;
    if (!g->cancelling_) {
        g->cancelling_ = true;
        g->cancel_children();
    }
    return true; // delivered: the group throws cancelled_error once the children have unwound
}

void child_group::on_deadline(timer_node* n) noexcept {
    child_group* g = static_cast<timer_entry*>(n)->self;
    g->timed_out_ = true;
    if (!g->cancelling_) {
        g->cancelling_ = true;
        g->cancel_children();
    }
}

void throw_timed_out(clock::duration timeout, bool started) {
    if (!started) {
        throw timeout_error(
            "operation timed out: a timeout of " +
            std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(timeout).count() /
                           1000.0) +
            " ms leaves it no time, so it was not started");
    }
    throw timeout_error(
        "operation timed out after " +
        std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(timeout).count() /
                       1000.0) +
        " ms and was cancelled");
}

} // namespace weft::detail
