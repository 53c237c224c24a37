// weft::semaphore and bounded_semaphore (semaphore.hpp): taking and giving back permits. A
// released permit passes to the first waiter and counts in handed_ until that waiter runs
// (arrived()), so that try_acquire() cannot overtake the queue; a bounded semaphore throws when
// released beyond its initial value.
#include <weft/runtime/error.hpp>
#include <weft/runtime/semaphore.hpp>

#include <string>

namespace weft {

bool semaphore::try_acquire() {
    std::lock_guard<std::mutex> g(mutex_);
    if (value_ == 0 || handed_ > 0 || !waiters_.empty()) {
        return false;
    }
    --value_;
    return true;
}

void semaphore::release() {
    detail::wake_chain woken; // resumes after the guard below unlocks
    std::lock_guard<std::mutex> g(mutex_);
    if (detail::wait_node* n = waiters_.pop_front()) {
        woken.add(n); // the permit passes to n
        ++handed_;
        return;
    }
    if (value_ >= bound_) {
        throw invalid_state_error("weft::bounded_semaphore::release() called more often than "
                                  "acquire(): it would exceed its initial value of " +
                                  std::to_string(bound_));
    }
    ++value_;
}

void semaphore::arrived() noexcept {
    detail::wake_chain woken; // resumes after the guard below unlocks
    std::lock_guard<std::mutex> g(mutex_);
    --handed_;
    while (value_ > 0 && !waiters_.empty()) {
        woken.add(waiters_.pop_front());
        --value_;
        ++handed_;
    }
}

bool semaphore::locked() const {
    std::lock_guard<std::mutex> g(mutex_);
    return value_ == 0 || handed_ > 0 || !waiters_.empty();
}

std::size_t semaphore::value() const {
    std::lock_guard<std::mutex> g(mutex_);
    return value_;
}

} // namespace weft
