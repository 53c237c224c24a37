#pragma once

#include <weft/runtime/error.hpp>

#include <cstddef>
#include <string>
#include <system_error>

namespace weft::net {

/// Base of weft's network errors; the message names the peer (or the address being reached).
class error : public weft::error {
public:
    explicit error(const std::string& message, std::error_code code = {})
        : weft::error(message), code_(code) {}
    /// The system error behind it, when there is one.
    [[nodiscard]] std::error_code code() const noexcept { return code_; }

private:
    std::error_code code_;
};

/// Nothing listens at the address (ECONNREFUSED).
class connection_refused : public error {
public:
    using error::error;
};

/// The peer reset the connection or closed it while we were writing (ECONNRESET, EPIPE).
class connection_reset : public error {
public:
    using error::error;
};

/// A host name could not be resolved (DNS failure, unknown host).
class resolve_error : public error {
public:
    using error::error;
};

/// The stream ended before read_exactly() (or read_until()) got what it asked for
/// (asyncio.IncompleteReadError); partial() holds the bytes that did arrive.
class incomplete_read : public error {
public:
    incomplete_read(const std::string& message, std::string partial, std::size_t expected)
        : error(message), partial_(std::move(partial)), expected_(expected) {}
    /// The bytes read before the end of the stream.
    [[nodiscard]] const std::string& partial() const noexcept { return partial_; }
    /// How many bytes were asked for (npos for read_until).
    [[nodiscard]] std::size_t expected() const noexcept { return expected_; }

private:
    std::string partial_;
    std::size_t expected_;
};

/// read_until() found no delimiter within its limit (asyncio.LimitOverrunError); the data stays
/// in the reader's buffer.
class limit_overrun : public error {
public:
    limit_overrun(const std::string& message, std::size_t consumed)
        : error(message), consumed_(consumed) {}
    /// How many bytes were buffered without a delimiter.
    [[nodiscard]] std::size_t consumed() const noexcept { return consumed_; }

private:
    std::size_t consumed_;
};

} // namespace weft::net
