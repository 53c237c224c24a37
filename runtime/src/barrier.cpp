#include <weft/runtime/barrier.hpp>

namespace weft {

barrier::barrier(std::size_t parties) : parties_(parties) {
    if (parties == 0) {
        throw invalid_state_error("weft::barrier needs at least one party");
    }
}

void barrier::abort() {
    detail::wake_chain woken; // resumes after the guard below unlocks
    std::lock_guard<std::mutex> g(mutex_);
    broken_ = true;
    count_ = 0;
    woken.add_all(waiters_, detail::wait_node::status::closed);
}

void barrier::reset() {
    detail::wake_chain woken;
    std::lock_guard<std::mutex> g(mutex_);
    broken_ = false;
    count_ = 0;
    woken.add_all(waiters_, detail::wait_node::status::closed);
}

std::size_t barrier::n_waiting() const {
    std::lock_guard<std::mutex> g(mutex_);
    return count_;
}

bool barrier::broken() const {
    std::lock_guard<std::mutex> g(mutex_);
    return broken_;
}

} // namespace weft
