#pragma once

// The access log's lines (server_options::access_log): one per response, on the "weft.http"
// logger at info level, as text (close to the common log format) or as a JSON object. The
// session checks the level before it gathers an entry, so a disabled log formats nothing.

#include <weft/net/http/server.hpp>

#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace weft::http::detail {

/// What one access log line says.
struct access_entry {
    std::string_view remote;
    std::string_view method;
    std::string_view target;
    std::string_view route; // the matched pattern, or empty
    std::string_view user_agent;
    int version_minor = 1;
    int status = 0;
    std::uint64_t bytes = 0;              // body bytes sent
    std::chrono::nanoseconds duration{0}; // from the complete head to the response's end
};

/// Writes entry at info level in the given format (the caller has checked the level).
void write_access_line(spdlog::logger& log, access_log_format format, const access_entry& entry);

/// Appends s to out as a JSON string, quotes included: '"', '\\' and control bytes escaped, a
/// byte sequence that is not valid UTF-8 replaced by U+FFFD (so that the line is valid JSON
/// whatever the client sent).
void append_json_string(std::string& out, std::string_view s);

} // namespace weft::http::detail
