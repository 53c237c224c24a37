#pragma once

// Runtime scenarios: loads that stress weft's own machinery (task creation, cancellation,
// timers, cross-loop wake-ups, gather, queues) rather than an executor. Each runs in a cell: it
// takes operation ids from the cell until it has issued its share, reports each operation where
// it ran and where its issuer saw it complete, and records each one's latency.

#include "spec.hpp"
#include "tracking.hpp"

#include <weft/runtime/task.hpp>

#include <cstddef>

namespace weft::stress {

/// Runs scenario s with `concurrency` operations in flight at once, spread over `loops` loops of
/// the current runtime, until ctx has issued its share. Must run on a loop of that runtime.
task<void> run_scenario(scenario_kind s, cell_context& ctx, std::size_t concurrency,
                        std::size_t loops);

} // namespace weft::stress
