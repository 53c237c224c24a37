#pragma once

// The answer to a request for an open file (file_answer.cpp): validators (ETag, Last-Modified),
// the conditional requests that turn it into a 304 (RFC 9110 section 13), and a single byte range
// (206, 416; RFC 9110 section 14). Shared by serve_file() and server::static_files().

#include <weft/net/http/request.hpp>
#include <weft/net/http/server_response.hpp>
#include <weft/net/http/static_files.hpp>

#include <sys/stat.h>

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#pragma GCC visibility push(hidden)

namespace weft::http::detail {

/// The answer to req with the regular file fd (st: its fstat; name: for its type). Takes
/// ownership of fd (closed here, or by the response).
[[nodiscard]] server_response answer_with_file(const request& req, int fd, const struct stat& st,
                                               std::string_view name,
                                               const static_files_options& opts);

/// A plain 404 answer.
[[nodiscard]] server_response not_found_answer();

/// The time of an IMF-fixdate, or nullopt when s is not one.
[[nodiscard]] std::optional<std::time_t> parse_http_date(std::string_view s) noexcept;

/// A single byte range the request asks for.
struct byte_range {
    enum class kind : std::uint8_t {
        whole,         // no Range, or one the server ignores (malformed, several ranges)
        part,          // [first, last] of the file
        unsatisfiable, // 416
    };
    kind k = kind::whole;
    std::uint64_t first = 0;
    std::uint64_t last = 0;
};

/// What a Range field's value asks of a file of size bytes.
[[nodiscard]] byte_range parse_range(std::string_view value, std::uint64_t size) noexcept;

} // namespace weft::http::detail

#pragma GCC visibility pop
