// weft::lock, the asyncio-style mutex for tasks (lock.hpp): try_acquire(), release() and
// locked(). release() hands the lock straight to the first waiter, so it stays locked and a
// try_acquire() cannot overtake the queue. Waiting for it is the header's awaiter (wait_list.cpp).
#include <weft/runtime/error.hpp>
#include <weft/runtime/lock.hpp>

namespace weft {

bool lock::try_acquire() {
    std::lock_guard<std::mutex> g(mutex_);
    if (locked_) {
        return false;
    }
    locked_ = true;
    return true;
}

void lock::release() {
    detail::wake_chain woken; // resumes after the guard below unlocks
    std::lock_guard<std::mutex> g(mutex_);
    if (!locked_) {
        throw invalid_state_error("weft::lock::release() called on a lock that is not held");
    }
    if (detail::wait_node* n = waiters_.pop_front()) {
        woken.add(n); // the lock passes to n: it stays locked
    } else {
        locked_ = false;
    }
}

bool lock::locked() const {
    std::lock_guard<std::mutex> g(mutex_);
    return locked_;
}

} // namespace weft
