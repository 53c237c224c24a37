// Debug mode: the diagnostics asyncio prints in its debug mode, for weft's tasks and futures.

#include "debug_impl.hpp"

#include <weft/runtime/error.hpp>
#include <weft/runtime/log.hpp>

#include <cstdlib>
#include <string>
#include <string_view>

namespace weft::detail {

std::atomic<int> debug_users{0};

bool debug_from_env() noexcept {
    const char* v = std::getenv("WEFT_DEBUG");
    if (v == nullptr) {
        return false;
    }
    const std::string_view s(v);
    return s == "1" || s == "true" || s == "yes" || s == "on";
}

std::string coroutine_name(const void* frame) {
    return symbol_name(frame_resume_fn(frame));
}

void report_never_awaited(const void* frame) noexcept {
    try {
        log::runtime().warn(
            "a task of coroutine {} was destroyed without ever being awaited or scheduled: its "
            "body never ran (co_await it, or create_task()/spawn() it)",
            coroutine_name(frame));
    } catch (...) {
    }
}

void report_unretrieved(const std::exception_ptr& e) noexcept {
    if (!e) {
        return;
    }
    try {
        std::string what;
        try {
            std::rethrow_exception(e);
        } catch (const cancelled_error&) {
            return; // cancellation is not an error nobody saw
        } catch (const std::exception& x) {
            what = x.what();
        } catch (...) {
            what = "a non-standard exception";
        }
        log::runtime().error("a future's exception was never retrieved: {}", what);
    } catch (...) {
    }
}

} // namespace weft::detail
