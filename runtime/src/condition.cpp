// weft::condition, the asyncio-style condition variable (condition.hpp). wait() gives up the lock
// until notified and holds it again when it returns, even when cancelled; a waiter cancelled after
// its notification passes it on to another, so it is not lost. notify() needs the lock held.
#include <weft/runtime/condition.hpp>
#include <weft/runtime/error.hpp>

#include <limits>
#include <optional>

namespace weft {

condition::condition() : own_(std::make_unique<weft::lock>()), lock_(own_.get()) {}

condition::~condition() = default;

task<void> condition::wait() {
    if (!lock_->locked()) {
        throw invalid_state_error("weft::condition::wait() called without holding its lock");
    }
    std::optional<cancelled_error> err;
    bool notified = false;
    try {
        co_await notified_awaiter{*this};
        notified = true;
    } catch (const cancelled_error& e) {
        err = e;
    }
    // Leave holding the lock, whatever happened (the caller's scope will release it).
    for (;;) {
        try {
            co_await lock_->acquire();
            break;
        } catch (const cancelled_error& e) {
            err = e;
        }
    }
    if (err) {
        if (notified) {
            notify_locked(1); // we will not act on it: someone else must
        }
        throw *err;
    }
}

void condition::notify(std::size_t n) {
    if (!lock_->locked()) {
        throw invalid_state_error("weft::condition::notify() called without holding its lock");
    }
    notify_locked(n);
}

void condition::notify_all() {
    notify(std::numeric_limits<std::size_t>::max());
}

void condition::notify_locked(std::size_t n) {
    detail::wake_chain woken; // resumes after the guard below unlocks
    std::lock_guard<std::mutex> g(mutex_);
    for (; n > 0; --n) {
        detail::wait_node* w = waiters_.pop_front();
        if (w == nullptr) {
            break;
        }
        woken.add(w);
    }
}

} // namespace weft
