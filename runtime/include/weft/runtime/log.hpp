#pragma once

#include <spdlog/logger.h>

#include <string_view>

namespace weft::log {

/// The named logger of a weft subsystem ("weft.runtime", "weft.exec", "weft.net", "weft.http"),
/// created on first use, writing to stderr at the level from WEFT_LOG_LEVEL (trace, debug, info,
/// warn, error, critical, off; default warn). Registered with spdlog, so an application can
/// reconfigure it by name; weft never touches spdlog's default logger.
[[nodiscard]] spdlog::logger& get(std::string_view name);

/// The runtime's logger, "weft.runtime".
[[nodiscard]] spdlog::logger& runtime();

} // namespace weft::log
