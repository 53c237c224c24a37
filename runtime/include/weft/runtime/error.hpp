#pragma once

#include <stdexcept>
#include <string>

namespace weft {

/// Base of every error weft throws, except cancelled_error (see below).
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Misuse of an object in its current state: awaiting a task twice, a future's result before it
/// is done, setting a promise twice, calling run() from inside a loop.
class invalid_state_error : public error {
public:
    using error::error;
};

/// An operation did not finish in time (wait_for); the operation was cancelled and has unwound.
class timeout_error : public error {
public:
    using error::error;
};

/// A promise was destroyed without setting a value or an exception.
class broken_promise_error : public error {
public:
    using error::error;
};

/// Raised at a suspension point of a cancelled task.
///
/// Deliberately NOT derived from std::exception (nor from weft::error): a generic
/// `catch (const std::exception&)` must not swallow cancellation, for the same reason asyncio moved
/// CancelledError from Exception to BaseException. Catch it by name to clean up, then rethrow.
/// Final, so that weft can recognise it without rethrowing.
class cancelled_error final {
public:
    cancelled_error() = default;
    explicit cancelled_error(std::string message) : message_(std::move(message)) {}
    /// What was cancelled, for logs.
    [[nodiscard]] const char* what() const noexcept {
        return message_.empty() ? "operation was cancelled" : message_.c_str();
    }

private:
    std::string message_;
};

} // namespace weft
