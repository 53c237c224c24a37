#pragma once

// `redis:URL[,queue=NAME][,in_flight=N][,workers=N][,per_worker=N]`: a weft::redis_pool under
// test, running the process pools' remote workload through a Redis broker, with the local
// `weft worker` processes it starts for the run (workers=N) or those already serving the queue.

#include "pools.hpp"

#include <memory>

namespace weft::stress {

/// Builds the redis executor a spec names (spec.kind is executor_kind::redis).
/// @throws spec_error for a malformed URL or option, a worker that cannot be started, or a
/// build without redis pools.
[[nodiscard]] std::unique_ptr<pool> make_redis_pool(const executor_spec& spec);

} // namespace weft::stress
