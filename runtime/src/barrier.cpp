// weft::barrier's state machine (filling, draining, resetting, broken), as asyncio.Barrier's. Every
// change happens under the barrier's mutex; wake-ups go out once it is released.

#include <weft/runtime/barrier.hpp>
#include <weft/runtime/detail/loop_ops.hpp>

#include <utility>

namespace weft {

barrier::barrier(std::size_t parties) : parties_(parties) {
    if (parties == 0) {
        throw invalid_state_error("weft::barrier needs at least one party");
    }
}

bool barrier::arrive_locked(awaiter& a, detail::wake_chain& woken) noexcept {
    a.index_ = count_++;
    if (count_ < parties_) {
        a.where_ = awaiter::where::in_round;
        return false;
    }
    // The round is complete: its waiters go on, and it drains until each has resumed.
    state_ = state::draining;
    woken.add_all(waiters_);
    a.where_ = awaiter::where::released;
    --count_; // the releasing task does not wait: it is out at once
    if (count_ == 0) {
        state_ = state::filling; // a round of one
    }
    return true;
}

void barrier::leave_locked(awaiter& a) noexcept {
    const bool counted = a.where_ == awaiter::where::in_round;
    a.where_ = awaiter::where::out;
    if (!counted || --count_ > 0) {
        return;
    }
    if (state_ == state::draining || state_ == state::resetting) {
        state_ = state::filling;
        unblock_locked();
    }
}

void barrier::unblock_locked() noexcept {
    // Their new tries are posted in this order, after any already pending.
    detail::wait_node** tail = &retries_;
    while (*tail != nullptr) {
        tail = &(*tail)->next;
    }
    while (detail::wait_node* n = blocked_.pop_front()) {
        n->st = detail::wait_node::status::woken; // reserved: the cancel hook leaves it alone
        *tail = n;
        tail = &n->next;
    }
}

void barrier::flush_retries() noexcept {
    detail::wait_node* n = nullptr;
    {
        std::lock_guard<std::mutex> g(mutex_);
        n = std::exchange(retries_, nullptr);
    }
    while (n != nullptr) {
        detail::wait_node* next = n->next;
        auto* a = static_cast<awaiter*>(n->data);
        try {
            detail::post(*n->home, [a] { a->b_->retry(*a); });
        } catch (...) {
            // Out of memory: fail this wait rather than leave it blocked for ever.
            {
                std::lock_guard<std::mutex> g(mutex_);
                n->st = detail::wait_node::status::closed;
            }
            detail::resume_on(n->home, n->h);
        }
        n = next;
    }
}

void barrier::retry(awaiter& a) noexcept {
    detail::wake_chain woken; // resumes after the guard below unlocks
    std::lock_guard<std::mutex> g(mutex_);
    detail::wait_node& n = a.node_;
    if (state_ == state::broken) {
        woken.add(&n, detail::wait_node::status::closed);
        return;
    }
    if (state_ != state::filling) {
        a.list_ = &blocked_; // another round is draining or resetting: block again
        a.where_ = awaiter::where::blocked;
        if (!a.requeue_locked()) {
            a.where_ = awaiter::where::out;
            woken.add(&n, detail::wait_node::status::cancelled);
        }
        return;
    }
    if (arrive_locked(a, woken)) {
        woken.add(&n); // it completed the round
        return;
    }
    a.list_ = &waiters_;
    if (!a.requeue_locked()) {
        leave_locked(a); // cancelled while unblocked: it leaves the round it just joined
        woken.add(&n, detail::wait_node::status::cancelled);
    }
}

std::size_t barrier::finish(awaiter& a) {
    a.finish_wait("weft::barrier::wait() was cancelled"); // the hook or the retry uncounted it
    if (a.where_ == awaiter::where::released) {
        return a.index_;
    }
    bool failed = false;
    {
        std::lock_guard<std::mutex> g(mutex_);
        // Woken by abort() or reset() (closed), or by the round's release: then it fails when the
        // barrier was broken or reset before it resumed (asyncio checks the state as it wakes).
        failed = a.node_.st == detail::wait_node::status::closed || state_ == state::broken ||
                 state_ == state::resetting;
        leave_locked(a);
    }
    flush_retries();
    if (failed) {
        throw broken_barrier_error("weft::barrier is broken (aborted or reset)");
    }
    return a.index_;
}

void barrier::abort() {
    detail::wake_chain woken; // resumes after the guard below unlocks
    std::lock_guard<std::mutex> g(mutex_);
    state_ = state::broken;
    woken.add_all(waiters_, detail::wait_node::status::closed);
    woken.add_all(blocked_, detail::wait_node::status::closed);
    // Unblocked tasks whose new try is on its way see the broken state when it runs.
}

void barrier::reset() {
    {
        detail::wake_chain woken; // resumes after the guard below unlocks
        std::lock_guard<std::mutex> g(mutex_);
        woken.add_all(waiters_, detail::wait_node::status::closed);
        if (count_ > 0) {
            state_ = state::resetting; // fills again once the tasks inside have left
        } else {
            state_ = state::filling;
            unblock_locked();
        }
    }
    flush_retries();
}

std::size_t barrier::n_waiting() const {
    std::lock_guard<std::mutex> g(mutex_);
    return state_ == state::filling ? count_ : 0;
}

bool barrier::broken() const {
    std::lock_guard<std::mutex> g(mutex_);
    return state_ == state::broken;
}

} // namespace weft
