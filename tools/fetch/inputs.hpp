#pragma once

// The inputs of `weft fetch`, checked before any request goes out: URLs (a missing scheme gets
// http:// as curl adds it; a bad one is named with what is wrong), URL lists from files, and the
// request of -X, -H and -d. Every problem is an input_error, which the command reports with exit
// status 2.

#include "fetch_types.hpp"

#include <cstddef>
#include <istream>
#include <stdexcept>
#include <string>
#include <vector>

namespace weft::tools::fetch {

/// A bad input: its message names the input and what is wrong with it.
class input_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The most -d may send, all of its pieces together (64 MiB).
inline constexpr std::size_t max_data_bytes = std::size_t{64} << 20;

/// `url` as the client gets it: "localhost:8765/x" and "example.org" become "http://...", as
/// curl treats a URL without a scheme. @throws input_error for a scheme other than http and https
/// (`unsupported scheme "htp" in "htp:/bad"`), and for a malformed URL (no host, spaces, control
/// characters, "http:/x").
[[nodiscard]] std::string normalise_url(const std::string& url);

/// The longest line a URL list may hold (64 KiB), and the most URLs one run takes (a million):
/// a list without line breaks (/dev/zero) or without end fails instead of growing without bound.
inline constexpr std::size_t max_url_line_bytes = std::size_t{64} << 10;
inline constexpr std::size_t max_urls = 1'000'000;

/// The URLs of a list, one a line; blank lines and lines starting with '#' are skipped. `name`
/// says where the list comes from in messages ("--file urls.txt", "stdin"). @throws input_error
/// for a line over max_url_line_bytes, or more than max_urls URLs (those before included).
[[nodiscard]] std::vector<std::string> read_url_lines(std::istream& in, const std::string& name,
                                                      std::size_t before = 0);

/// The URLs of file `path`. @throws input_error naming the path and the system's reason when it
/// cannot be read, or is a directory, and as read_url_lines.
[[nodiscard]] std::vector<std::string> read_url_file(const std::string& path,
                                                     std::size_t before = 0);

/// The request of -X, -H and -d: -d joins its pieces with '&' (curl's rule), reads @FILE pieces
/// from their file, and makes the method POST unless -X names one. @throws input_error for a
/// method that is not an HTTP token, a header without "Name:" or with a line break, and a -d file
/// that cannot be read or grows the body past max_data_bytes.
[[nodiscard]] request_spec build_request(const fetch_options& o);

} // namespace weft::tools::fetch
