#pragma once

#include <memory>

namespace weft {
struct options;
} // namespace weft

namespace weft::detail {

/// State another component attaches to the running runtime (the default executor): made on first
/// use, shut down once every task has unwound, destroyed with the runtime. The runtime knows
/// nothing else of it.
class extension {
public:
    extension() = default;
    extension(const extension&) = delete;
    extension& operator=(const extension&) = delete;
    virtual ~extension() = default;

    /// Called once on loop 0 after every task has unwound, while the other loops still run.
    virtual void shutdown() noexcept = 0;
};

using extension_factory = std::unique_ptr<extension> (*)(const options&);

/// The extension registered under key for the current runtime (or stand-alone loop), made by
/// make on first use. Thread-safe.
/// @throws invalid_state_error outside a loop.
[[nodiscard]] extension& runtime_extension(const void* key, extension_factory make);

} // namespace weft::detail
