#pragma once

#include <cstddef>
#include <optional>

namespace weft::detail {

/// The count in environment variable name, or nullopt when it is unset or empty.
/// @throws weft::error naming the variable, what it counts and its range when the value is not a
/// whole number from 1 to max.
[[nodiscard]] std::optional<std::size_t> env_count(const char* name, const char* what,
                                                   std::size_t max);

} // namespace weft::detail
