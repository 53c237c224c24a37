#pragma once

// The remote function behind `process:N` and `redis:URL` executors: what their worker processes
// run for each call (registered with WEFT_REMOTE in pools.cpp, so that `weft worker` serves the
// same one).

#include "spec.hpp"

#include <cstdint>
#include <string>
#include <utility>

namespace weft::stress {

#if WEFT_STRESS_PROCESS_POOL
/// Runs call id of the workload labelled `workload` in this (worker) process; returns the id and
/// this process's pid. A crash:<rate> call that draws a crash kills its own process.
std::pair<std::uint64_t, std::int64_t> remote_stress_call(std::string workload, std::uint64_t id);
#endif

} // namespace weft::stress
