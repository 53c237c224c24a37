#include <weft/runtime/event.hpp>

namespace weft {

bool event::is_set() const {
    std::lock_guard<std::mutex> g(mutex_);
    return set_;
}

void event::set() {
    detail::wake_chain woken; // resumes after the guard below unlocks
    std::lock_guard<std::mutex> g(mutex_);
    set_ = true;
    woken.add_all(waiters_);
}

void event::clear() {
    std::lock_guard<std::mutex> g(mutex_);
    set_ = false;
}

} // namespace weft
