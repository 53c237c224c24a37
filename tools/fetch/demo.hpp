#pragma once

// `weft fetch --demo`: the local server it fetches from (slow pages, a stand-in for a far-away
// server) and the checks it runs on what it fetched.

#include "fetch_types.hpp"

#include <weft/net/http/server.hpp>

#include <chrono>
#include <cstddef>

namespace weft::tools::fetch {

/// The body length of the demo server's page i (1-based): each page has its own.
[[nodiscard]] std::size_t demo_page_size(int i) noexcept;

/// The demo's server: /page/1 ... /page/N, each answered after `delay` (weft::sleep, so the
/// loop keeps serving and fetching meanwhile).
void add_demo_pages(http::server& srv, int pages, std::chrono::milliseconds delay);

/// The demo checks what it shows: every page arrived, with its own size, and the concurrent pass
/// beat the sequential one.
[[nodiscard]] bool demo_checks_pass(const fetch_options& o, const run_result& seq,
                                    const run_result& con, std::size_t failed);

} // namespace weft::tools::fetch
