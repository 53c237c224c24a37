#pragma once

// How an executor's idle thread looks for the next call before it sleeps or leaves (private).

#include <chrono>
#include <thread>

namespace weft::detail {

/// How long an idle worker looks for the next call: a call often follows soon (a task awaiting
/// one call after another, the next burst of a gather), and taking it then costs no wake-up.
inline constexpr std::chrono::microseconds linger_time{50};

/// Yields until ready() holds (true) or `limit` has passed (false); reads the clock every 16
/// rounds only.
template <class Ready>
bool yield_until(Ready ready, std::chrono::microseconds limit) noexcept {
    const auto until = std::chrono::steady_clock::now() + limit;
    for (int i = 1;; ++i) {
        if (ready()) {
            return true;
        }
        if ((i & 15) == 0 && std::chrono::steady_clock::now() >= until) {
            return false;
        }
        std::this_thread::yield();
    }
}

} // namespace weft::detail
