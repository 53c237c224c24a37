#pragma once

// The requests of `weft fetch`: one pass over the URL list with weft::http::client, at most N at
// once, each URL's outcome timed and its failure typed; -v's request and response lines on
// stderr; the progress bar of a long list.

#include "fetch_types.hpp"

#include <weft/net/http/client.hpp>
#include <weft/runtime/task.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace weft::tools::fetch {

/// The most that the copies of a -d body in flight may hold together (256 MiB): a large body
/// lowers the concurrency (64 MiB: 4 at a time).
inline constexpr std::size_t max_bodies_in_flight = std::size_t{256} << 20;

/// How a pass runs besides its URLs and concurrency.
struct pass_settings {
    const request_spec* spec = nullptr; ///< the request every URL gets
    bool verbose = false;               ///< -v: request and response lines on stderr
    bool progress = false;              ///< a progress bar on stderr (when it is a terminal)
    std::string_view mode;              ///< "sequential" or "concurrent", for the bar
    std::string* body = nullptr;        ///< -o: the first URL's body goes here
};

/// The kind of a client failure as reports name it: "connect", "timeout", "too-large", ...
[[nodiscard]] std::string error_kind(const std::exception& e);

/// Fetches every URL into out, at most `concurrency` at once (workers pulling from a shared
/// index). out holds the finished ones (result::done) even when a cancellation ends it early.
task<void> fetch_all(const http::client& c, const std::vector<std::string>& urls, int concurrency,
                     const pass_settings& how, run_result& out);

} // namespace weft::tools::fetch
