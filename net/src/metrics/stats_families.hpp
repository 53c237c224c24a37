#pragma once

// Private: weft's counters as Prometheus samples: a loop's, an executor's, an HTTP server's. The
// names and help texts of weft's families are here, in one place (docs/metrics.md lists them).

#include "family_set.hpp"

#include <weft/executors/executor.hpp>
#include <weft/net/http/server.hpp>
#include <weft/runtime/stats.hpp>

#include <string>

namespace weft::metrics::detail {

void add_loop(family_set& out, const loop_stats& s);
void add_executor(family_set& out, const std::string& name, const executor_stats& s);
void add_server(family_set& out, const std::string& name, const http::server_stats& s);

} // namespace weft::metrics::detail
