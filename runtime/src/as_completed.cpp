// The non-template core of weft::as_completed() (as_completed.hpp): a queue that futures push
// their index into as they complete, on any thread, and the awaiter that takes the next one, with
// its timeout and cancellation. Whoever takes the suspended awaiter out of the queue (a completion,
// the timer or the cancel hook) is the only one to resume it.
#include <weft/runtime/as_completed.hpp>
#include <weft/runtime/error.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <new>
#include <string>

namespace weft::detail {

/// Completions in arrival order, pushed from any thread under a mutex that is never held while a
/// coroutine resumes. At most one awaiter waits on it; whoever takes that awaiter out (a
/// completion on any thread, the timeout or the cancel hook on its home loop) is the only one to
/// resume it. Reference-counted: one reference for the sequence, one per node until it fires.
class completion_queue {
public:
    struct node : waiter_node {
        completion_queue* owner = nullptr;
        std::size_t index = 0;
    };

    explicit completion_queue(std::size_t count) : nodes_(new node[count]), refs_(count + 1) {}

    node& at(std::size_t i) noexcept { return nodes_[i]; }

    static void fire(waiter_node* w) noexcept {
        auto* n = static_cast<node*>(w);
        completion_queue* q = n->owner;
        completion_order::awaiter* waiting = nullptr;
        std::coroutine_handle<> h;
        loop* home = nullptr;
        {
            std::lock_guard<std::mutex> g(q->mutex_);
            if (!q->expired_) {
                q->push(n->index);
                if (q->waiter_ != nullptr) {
                    waiting = std::exchange(q->waiter_, nullptr);
                    h = waiting->h_;
                    home = waiting->home_;
                }
            }
        }
        if (waiting != nullptr) {
            resume_on(home, h); // from here on the awaiter may be gone
        }
        q->release();
    }

    /// Pushes an index; the mutex is held (or nobody else can see the queue yet).
    void push(std::size_t i) {
        try {
            ready_.push_back(i);
        } catch (...) {
            lost_ = true; // out of memory: the awaiter then fails instead of waiting forever
        }
    }

    void release() noexcept {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            delete this;
        }
    }

    std::mutex mutex_;
    std::deque<std::size_t> ready_;
    completion_order::awaiter* waiter_ = nullptr;
    bool expired_ = false;
    bool lost_ = false;

private:
    std::unique_ptr<node[]> nodes_;
    std::atomic<std::size_t> refs_;
};

completion_order::completion_order(future_state_base* const* states, std::size_t count,
                                   std::optional<clock::duration> timeout)
    : q_(new completion_queue(count)), count_(count), remaining_(count), timeout_(timeout) {
    if (timeout_) {
        loop* l = current_loop_ptr();
        deadline_ = (l != nullptr ? loop_time(*l) : clock::now()) + *timeout_;
    }
    for (std::size_t i = 0; i < count; ++i) {
        completion_queue::node& n = q_->at(i);
        n.owner = q_;
        n.index = i;
        n.fire = &completion_queue::fire;
        if (!states[i]->add_waiter(&n)) {
            completion_queue::fire(&n); // done already: queued in argument order
        }
    }
}

completion_order::~completion_order() {
    {
        std::lock_guard<std::mutex> g(q_->mutex_);
        q_->waiter_ = nullptr;
        q_->expired_ = true; // late completions need not be queued any more
    }
    q_->release();
}

completion_order::awaiter::~awaiter() {
    if (!suspended_) {
        return;
    }
    {
        // Torn down while suspended: no completion may resume it any more.
        std::lock_guard<std::mutex> g(o_->q_->mutex_);
        if (o_->q_->waiter_ == this) {
            o_->q_->waiter_ = nullptr;
        }
    }
    if (armed()) {
        remove_timer(*home_, this);
    }
}

bool completion_order::awaiter::await_ready() {
    if (o_->remaining_ == 0) {
        throw invalid_state_error(
            "weft::as_completed: every future was already handed out (await next() at most "
            "size() times)");
    }
    std::lock_guard<std::mutex> g(o_->q_->mutex_);
    if (!o_->q_->ready_.empty() || o_->q_->expired_ || o_->q_->lost_) {
        return true;
    }
    if (o_->deadline_) {
        loop* l = current_loop_ptr();
        if ((l != nullptr ? loop_time(*l) : clock::now()) >= *o_->deadline_) {
            o_->q_->expired_ = true;
            return true;
        }
    }
    return false;
}

bool completion_order::awaiter::suspend(std::coroutine_handle<> h, cancel_state* slot) {
    if (cancelled_at_start(h, slot, "weft::as_completed: next()")) {
        return false;
    }
    {
        std::lock_guard<std::mutex> g(o_->q_->mutex_);
        if (!o_->q_->ready_.empty() || o_->q_->expired_ || o_->q_->lost_) {
            return false; // one arrived since await_ready
        }
        if (o_->q_->waiter_ != nullptr) {
            throw invalid_state_error(
                "weft::as_completed: next() awaited while another next() still waits; await "
                "them one at a time");
        }
        o_->q_->waiter_ = this;
    }
    // A completion on another thread may take us out of the queue from here on and post our
    // resumption to this loop, which is busy here until we return: the timer and the hook, which
    // run on this loop, are set up before either can matter, and each checks it still waits.
    suspended_ = true;
    arm(o_->deadline_, &on_timeout, &on_cancel, this);
    return true;
}

std::size_t completion_order::awaiter::await_resume() {
    if (suspended_) {
        suspended_ = false;
        disarm();
    }
    if (cancelled_) {
        throw cancelled_error("weft::as_completed: next() was cancelled");
    }
    std::lock_guard<std::mutex> g(o_->q_->mutex_);
    if (!o_->q_->ready_.empty()) {
        const std::size_t i = o_->q_->ready_.front();
        o_->q_->ready_.pop_front();
        --o_->remaining_;
        return i;
    }
    if (o_->q_->lost_) {
        throw std::bad_alloc();
    }
    const auto ms = std::chrono::duration_cast<std::chrono::microseconds>(
                        o_->timeout_.value_or(clock::duration::zero()))
                        .count() /
                    1000.0;
    throw timeout_error("weft::as_completed timed out after " + std::to_string(ms) + " ms; " +
                        std::to_string(o_->remaining_) + " of " + std::to_string(o_->count_) +
                        " futures had not completed (they keep running)");
}

// The timer and the hook run on the home loop, where the awaiter lives; the queue's mutex decides
// against a completion arriving from another thread at the same moment.
void completion_order::awaiter::on_timeout(timer_node* n) noexcept {
    auto* self = static_cast<awaiter*>(n);
    bool resume = false;
    {
        std::lock_guard<std::mutex> g(self->o_->q_->mutex_);
        self->o_->q_->expired_ = true;
        if (self->o_->q_->waiter_ == self) {
            self->o_->q_->waiter_ = nullptr;
            resume = true;
        }
    }
    if (resume) {
        schedule(*self->home_, resume_runnable(self->h_));
    }
}

bool completion_order::awaiter::on_cancel(void* p) noexcept {
    auto* self = static_cast<awaiter*>(p);
    {
        std::lock_guard<std::mutex> g(self->o_->q_->mutex_);
        if (self->o_->q_->waiter_ != self) {
            return false; // a completion won: the request stays pending for the next suspension
        }
        self->o_->q_->waiter_ = nullptr;
    }
    self->resume_cancelled();
    return true;
}

} // namespace weft::detail
