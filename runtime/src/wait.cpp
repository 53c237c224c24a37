// The non-template core of weft::wait() (wait.hpp): the block of waiter nodes it leaves on the
// futures, shared with the awaiter so that a future completing after wait() returned touches only
// the block, and the one wake-up that a completion on any thread, the timeout or the cancel hook
// claims.
#include <weft/runtime/error.hpp>
#include <weft/runtime/wait.hpp>

#include <memory>

namespace weft::detail {

namespace {

/// Whether f's completion satisfies first_exception (cancellation does not count, as in asyncio).
bool failed(const future_state_base& f) noexcept {
    std::exception_ptr e = f.error();
    return e && !is_cancellation(e);
}

} // namespace

/// What a wait shares with the waiter nodes it left on the futures. Reference-counted: one
/// reference for the awaiter and one per node until it fires, so a future that completes long
/// after wait() returned (on any thread) still finds it.
class wait_shared {
public:
    struct node : waiter_node {
        wait_shared* owner = nullptr;
        future_state_base* state = nullptr; // valid while it fires: the future publishes then
    };

    wait_shared(std::size_t count, return_when when, loop* home, std::coroutine_handle<> h)
        : nodes_(new node[count]), refs_(count + 1), remaining_(count), when_(when), home_(home),
          h_(h) {}

    node& at(std::size_t i) noexcept { return nodes_[i]; }

    /// Claims the one wake-up; true for the single winner.
    bool claim() noexcept { return !woken_.exchange(true, std::memory_order_acq_rel); }

    [[nodiscard]] bool claimed() const noexcept { return woken_.load(std::memory_order_acquire); }

    /// A future completed (on any thread, or inline when it was done at registration).
    static void fire(waiter_node* w) noexcept {
        auto* n = static_cast<node*>(w);
        wait_shared* s = n->owner;
        const std::size_t left = s->remaining_.fetch_sub(1, std::memory_order_acq_rel) - 1;
        bool wake = left == 0;
        if (s->when_ == return_when::first_completed) {
            wake = true;
        } else if (s->when_ == return_when::first_exception && failed(*n->state)) {
            wake = true;
        }
        if (wake && s->claim()) {
            // Read before anything may resume: the coroutine may end the wait at once.
            loop* home = s->home_;
            std::coroutine_handle<> h = s->h_;
            resume_on(home, h);
        }
        s->release();
    }

    void release() noexcept {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            delete this;
        }
    }

private:
    std::unique_ptr<node[]> nodes_;
    std::atomic<std::size_t> refs_;
    std::atomic<std::size_t> remaining_;
    std::atomic<bool> woken_{false};
    return_when when_;
    loop* home_;
    std::coroutine_handle<> h_;
};

multi_wait::~multi_wait() {
    if (shared_ == nullptr) {
        return;
    }
    // Destroyed while suspended (the frame was torn down without resuming): make sure no late
    // completion resumes it.
    (void)shared_->claim();
    if (armed()) {
        remove_timer(*home_, this);
    }
    std::exchange(shared_, nullptr)->release();
}

bool multi_wait::await_ready() const noexcept {
    if (count_ == 0) {
        return true;
    }
    std::size_t done = 0;
    for (std::size_t i = 0; i < count_; ++i) {
        if (states_[i]->done()) {
            if (when_ == return_when::first_completed ||
                (when_ == return_when::first_exception && failed(*states_[i]))) {
                return true;
            }
            ++done;
        }
    }
    return done == count_;
}

bool multi_wait::suspend(std::coroutine_handle<> h, cancel_state* slot) {
    if (cancelled_at_start(h, slot, "weft::wait()")) {
        return false;
    }
    shared_ = new wait_shared(count_, when_, home_, h);
    // From the first registration on, a completion on another thread may claim the wake-up and
    // post the resumption to this loop, which is busy here until we return: so we always suspend,
    // and a future that is done already goes through the same path (its resumption is queued).
    for (std::size_t i = 0; i < count_; ++i) {
        wait_shared::node& n = shared_->at(i);
        n.owner = shared_;
        n.state = states_[i];
        n.fire = &wait_shared::fire;
        if (!states_[i]->add_waiter(&n)) {
            wait_shared::fire(&n);
        }
    }
    if (shared_->claimed()) {
        return true; // already decided; no timer or hook needed
    }
    arm(timeout_ ? std::optional(loop_time(*home_) + *timeout_) : std::nullopt, &on_timeout,
        &on_cancel, this);
    return true;
}

void multi_wait::await_resume() {
    if (shared_ != nullptr) {
        disarm();
        std::exchange(shared_, nullptr)->release();
    }
    if (cancelled_) {
        throw cancelled_error("weft::wait() was cancelled");
    }
}

// The timer and the hook run on the home loop, where the awaiter lives, so they may touch it; the
// claim decides against a completion racing in from another thread.
void multi_wait::on_timeout(timer_node* n) noexcept {
    auto* self = static_cast<multi_wait*>(n);
    if (self->shared_->claim()) {
        schedule(*self->home_, resume_runnable(self->h_));
    }
}

bool multi_wait::on_cancel(void* p) noexcept {
    auto* self = static_cast<multi_wait*>(p);
    if (!self->shared_->claim()) {
        return false; // a completion won: the request stays pending for the next suspension point
    }
    self->resume_cancelled();
    return true;
}

} // namespace weft::detail
