#pragma once

// How a cell's calls are driven: a closed loop (a fixed number of callers, each sending its next
// call when the last returns) or an open loop (arrivals at a fixed rate, whatever the executor
// does). Both take call ids from the cell's books until it has issued its share or its deadline
// passes.

#include "pools.hpp"
#include "spec.hpp"
#include "tracking.hpp"

#include <weft/runtime/task.hpp>

#include <cstddef>

namespace weft::stress {

/// `concurrency` callers spread over `loops` loops, each calling again as soon as its call returns.
[[nodiscard]] task<void> closed_loop(cell_context& ctx, pool& p, const workload_spec& w,
                                     std::size_t concurrency, std::size_t loops);

/// Calls sent at `rate` per second, at most `concurrency` in flight; each call's latency runs from
/// the moment it was meant to be sent, so a stalled executor shows as latency instead of silently
/// lowering the offered load (no coordinated omission).
[[nodiscard]] task<void> open_loop(cell_context& ctx, pool& p, const workload_spec& w,
                                   std::size_t concurrency, double rate);

} // namespace weft::stress
