#pragma once

// Debug mode's hooks in header code (task, future). The flag is process-wide: on while any
// runtime or stand-alone loop in debug mode exists, so its checks cost one relaxed load otherwise.

#include <atomic>
#include <exception>
#include <string>

namespace weft::detail {

extern std::atomic<int> debug_users;

[[nodiscard]] inline bool debug_enabled() noexcept {
    return debug_users.load(std::memory_order_relaxed) > 0;
}

/// The name of the coroutine whose frame is at `frame` (its resume function's symbol, demangled;
/// a file and offset when the binary is stripped).
[[nodiscard]] std::string coroutine_name(const void* frame);

/// Debug mode: a task was destroyed without ever being awaited or scheduled.
void report_never_awaited(const void* frame) noexcept;

/// Debug mode: a future that held this exception was destroyed and nobody retrieved it.
void report_unretrieved(const std::exception_ptr& e) noexcept;

} // namespace weft::detail
