#pragma once

// Worker mode (private): weft::init runs it when the program was started as a redis pool worker.

namespace weft::detail::rp {

/// When argv[1] is --weft-redis-worker, serves the queue its arguments name and ends the process
/// with serve_redis_calls's status (2 with a message for bad arguments); otherwise returns.
void run_worker_if_asked(int argc, char** argv);

} // namespace weft::detail::rp
