#pragma once

// Private: the clock of a runtime in virtual time (clock_kind::manual), which only
// weft::advance() moves (virtual_time.cpp).

#include <weft/runtime/clock.hpp>

#include <atomic>

namespace weft::detail {

/// The virtual time of a runtime in clock_kind::manual: shared by its loops, moved only by
/// weft::advance(). Starts at the real time of its creation, so time points look ordinary.
class virtual_clock {
public:
    explicit virtual_clock(clock::time_point start) noexcept
        : now_(start.time_since_epoch().count()) {}

    [[nodiscard]] clock::time_point now() const noexcept {
        return clock::time_point(clock::duration(now_.load(std::memory_order_acquire)));
    }
    void set(clock::time_point t) noexcept {
        now_.store(t.time_since_epoch().count(), std::memory_order_release);
    }

private:
    std::atomic<clock::rep> now_;
};

} // namespace weft::detail
