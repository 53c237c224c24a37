// weft::interval: ticks on a fixed schedule (first + k * period), skipping the ticks a late caller
// missed instead of bursting them.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/interval.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/sleep.hpp>

#include <stdexcept>

namespace weft {

namespace {

clock::duration checked(clock::duration period) {
    if (period <= clock::duration::zero()) {
        throw std::invalid_argument("weft::interval needs a period greater than zero");
    }
    return period;
}

} // namespace

interval::interval(clock::duration period)
    : period_(checked(period)), next_(current_loop().time() + period) {}

interval::interval(clock::duration period, clock::time_point first)
    : period_(checked(period)), next_(first) {}

task<clock::time_point> interval::tick() {
    co_await sleep_until(next_);
    const clock::time_point due = next_;
    next_ += period_;
    const clock::time_point now = current_loop().time();
    if (now >= next_) {
        // Late by a whole period or more: skip to the first tick still ahead.
        const auto behind = (now - next_) / period_ + 1;
        missed_ += static_cast<std::uint64_t>(behind);
        next_ += behind * period_;
    }
    co_return due;
}

} // namespace weft
