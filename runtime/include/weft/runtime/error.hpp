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
    explicit cancelled_error(std::string what) : what_(std::move(what)) {}
    /// A cancellation that carries the message given to cancel(message) (asyncio's
    /// CancelledError(msg)): what() reads "<what>: <message>".
    cancelled_error(const std::string& what, std::string message)
        : what_(message.empty() ? what : what + ": " + message), message_(std::move(message)) {}
    /// What was cancelled, for logs (with the cancel message, when there is one).
    [[nodiscard]] const char* what() const noexcept {
        return what_.empty() ? "operation was cancelled" : what_.c_str();
    }
    /// The message given to cancel(message); empty when cancelled without one.
    [[nodiscard]] const std::string& message() const noexcept { return message_; }

private:
    std::string what_;
    std::string message_;
};

} // namespace weft
