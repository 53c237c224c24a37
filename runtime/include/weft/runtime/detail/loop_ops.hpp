#pragma once

// What coroutine machinery needs from a loop, without the loop's definition (which lives in
// loop.hpp and includes the task machinery). Implemented in runtime/src/loop.cpp.

#include <weft/runtime/clock.hpp>
#include <weft/runtime/detail/unique_function.hpp>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace weft {
class loop;
} // namespace weft

namespace weft::detail {

class root_base;

/// One unit of work in a loop's ready queue: a function pointer and its argument, no allocation.
struct runnable {
    void (*fn)(void*) noexcept;
    void* arg;
};

/// Resumes the coroutine whose frame is at `frame` (a named function, so that debug mode can tell
/// a resumption from other steps and name the coroutine).
void resume_frame(void* frame) noexcept;

/// A runnable that resumes a coroutine.
[[nodiscard]] inline runnable resume_runnable(std::coroutine_handle<> h) noexcept {
    return {&resume_frame, h.address()};
}

/// An entry in a loop's timer heap, embedded in whatever waits (a sleep awaiter, a wait_for).
struct timer_node {
    static constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();
    clock::time_point deadline{};
    std::uint64_t seq = 0;
    std::size_t heap_index = npos;
    void (*fire)(timer_node*) noexcept = nullptr;

    [[nodiscard]] bool armed() const noexcept { return heap_index != npos; }
};

/// The loop running on this thread, or nullptr.
[[nodiscard]] loop* current_loop_ptr() noexcept;

/// Queues r on l; must be called on l's own thread.
void schedule(loop& l, runnable r);

/// Queues f on l from any thread; one wake-up serves a whole batch.
void post(loop& l, unique_function<void()> f);

/// Resumes h on l: queued locally when called on l's thread, posted otherwise; inline when l is
/// null.
void resume_on(loop* l, std::coroutine_handle<> h);

/// Arms a timer on l (l's thread only); n->fire runs on l when the deadline passes.
void add_timer(loop& l, timer_node* n);

/// Disarms a timer on l (l's thread only); a no-op when it already fired.
void remove_timer(loop& l, timer_node* n) noexcept;

/// The loop's current time.
[[nodiscard]] clock::time_point loop_time(const loop& l) noexcept;

/// Root-task bookkeeping on the home loop (l's thread only).
void root_started(loop& l, root_base* r) noexcept;
void root_finished(loop& l, root_base* r) noexcept;

/// Counts a root about to be started on l (any thread), for least-busy placement.
void root_reserved(loop& l) noexcept;

} // namespace weft::detail
