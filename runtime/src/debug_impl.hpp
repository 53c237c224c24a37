#pragma once

// Private helpers of debug mode (debug.cpp, loop_impl.cpp, symbolize.cpp): WEFT_DEBUG from the
// environment, and naming the function a coroutine frame or callback belongs to.

#include <weft/runtime/detail/debug.hpp>

#include <string>

namespace weft::detail {

/// WEFT_DEBUG from the environment: 1/true/yes/on turn debug mode on.
[[nodiscard]] bool debug_from_env() noexcept;

/// The address of the resume function of the coroutine frame at `frame` (GCC and Clang both put
/// it in the frame's first word).
[[nodiscard]] inline const void* frame_resume_fn(const void* frame) noexcept {
    return *static_cast<const void* const*>(frame);
}

/// The demangled name of the function that contains `code` (from the dynamic symbols, else the
/// object file's symbol table), or its file and offset.
[[nodiscard]] std::string symbol_name(const void* code);

} // namespace weft::detail
