// Virtual time for tests (virtual_time.hpp): weft::advance() moves a manual-clock runtime forward,
// firing this loop's timers one deadline at a time and letting what they wake run, then the other
// loops' due timers once, at the final time. The clock itself is in virtual_clock.hpp.
#include "loop_impl.hpp"
#include "runtime.hpp"

#include <weft/runtime/future.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/virtual_time.hpp>

#include <atomic>
#include <memory>
#include <stdexcept>

namespace weft {

namespace {

/// Lets the steps that fired timers queued run until the ready queue holds nothing but this task:
/// what they wake runs to its next suspension. Bounded, for a loop that never goes quiet.
task<void> settle(detail::loop_impl& here) {
    for (int i = 0; i < 100000 && here.ready_size() > 0; ++i) {
        co_await yield();
    }
}

} // namespace

bool virtual_time() noexcept {
    loop* l = detail::current_loop_ptr();
    return l != nullptr && l->impl().vclock() != nullptr;
}

task<void> advance(clock::duration d) {
    loop& here = current_loop();
    detail::loop_impl& impl = here.impl();
    detail::virtual_clock* vc = impl.vclock();
    if (vc == nullptr) {
        throw invalid_state_error(
            "weft::advance() needs virtual time: run the runtime with options.clock = "
            "weft::clock_kind::manual");
    }
    if (d < clock::duration::zero()) {
        throw std::invalid_argument("weft::advance(): time cannot go backwards");
    }
    const clock::time_point target = vc->now() + d;

    // This loop: one deadline at a time, so that what a timer wakes can arm the next one in time.
    co_await settle(impl);
    for (;;) {
        const auto next = impl.next_deadline();
        if (!next || *next > target) {
            break;
        }
        if (*next > vc->now()) {
            vc->set(*next);
        }
        impl.fire_due_timers();
        co_await settle(impl);
    }
    vc->set(target);

    // The other loops: their due timers fire once, at the final time.
    detail::runtime* rt = impl.rt;
    const std::size_t n = rt == nullptr ? 1 : rt->size();
    if (n > 1) {
        auto all_done = std::make_shared<promise<void>>();
        auto remaining = std::make_shared<std::atomic<std::size_t>>(n - 1);
        future<void> fired = all_done->get_future();
        for (std::size_t i = 0; i < n; ++i) {
            loop& other = rt->loop_at(i);
            if (&other == &here) {
                continue;
            }
            detail::post(other, [&other, all_done, remaining] {
                other.impl().fire_due_timers();
                if (remaining->fetch_sub(1, std::memory_order_acq_rel) == 1) {
                    all_done->set_value();
                }
            });
        }
        co_await fired;
    }
    impl.fire_due_timers();
    co_await settle(impl);
}

} // namespace weft
