#pragma once

#include <weft/executors/detail/executor_core.hpp>
#include <weft/executors/executor.hpp>

#include <cstddef>

namespace weft {

/// A fixed number of dedicated threads with a FIFO queue (concurrent.futures.ThreadPoolExecutor),
/// for calls that must not share the work-stealing pool or must be limited in number (four
/// connections to a database). With max_queue, a full queue makes submit() block for room and
/// run_in_executor() wait for room without blocking its loop: backpressure.
class thread_pool : public detail::executor_base {
public:
    struct options {
        /// Worker threads; 0 = one per hardware thread.
        std::size_t threads = 0;
        /// Calls that may wait in the queue; 0 = unbounded.
        std::size_t max_queue = 0;
        /// Name in logs and errors.
        const char* name = "thread_pool";
    };

    explicit thread_pool(options opts);
    thread_pool() : thread_pool(options{}) {}
};

/// Runs each call at once on the submitting thread: for tests and trivial calls.
class inline_executor : public detail::executor_base {
public:
    inline_executor();
};

} // namespace weft
