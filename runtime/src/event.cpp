// weft::event, the asyncio-style flag (event.hpp): reading, setting and clearing it. set() wakes
// every waiter through a wake_chain, so that they resume after the mutex is released; waiting is
// the header's awaiter over the wait list (wait_list.cpp).
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
