#pragma once

#include <weft/executors/detail/executor_core.hpp>
#include <weft/executors/executor.hpp>

#include <cstddef>
#include <memory>

namespace weft {

namespace detail {
class thread_pool_core;
} // namespace detail

/// A fixed number of dedicated threads with a FIFO queue (concurrent.futures.ThreadPoolExecutor),
/// for calls that must not share the work-stealing pool or must be limited in number (four
/// connections to a database). With max_queue, a full queue makes submit() block for room and
/// run_in_executor() wait for room without blocking its loop: backpressure.
class thread_pool {
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
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;
    /// shutdown(wait = true).
    ~thread_pool();

    /// Runs fn() on a pool thread and returns its future; blocks for room when the queue is full
    /// (from a loop, prefer run_in_executor, which waits without blocking).
    /// @throws executor_shut_down after shutdown().
    template <class F>
    auto submit(F&& fn) {
        return detail::submit_call(core(), std::forward<F>(fn));
    }

    /// See tbb_pool::shutdown.
    void shutdown(bool wait = true, bool cancel_pending = false);

    [[nodiscard]] std::size_t max_workers() const noexcept;
    [[nodiscard]] executor_stats stats() const noexcept;
    [[nodiscard]] detail::executor_core& core() noexcept;

private:
    std::unique_ptr<detail::thread_pool_core> core_;
};

/// Runs each call at once on the submitting thread: for tests and trivial calls.
class inline_executor {
public:
    inline_executor();
    inline_executor(const inline_executor&) = delete;
    inline_executor& operator=(const inline_executor&) = delete;
    ~inline_executor();

    /// Runs fn() now and returns its (completed) future.
    template <class F>
    auto submit(F&& fn) {
        return detail::submit_call(core(), std::forward<F>(fn));
    }
    void shutdown(bool wait = true, bool cancel_pending = false);
    [[nodiscard]] std::size_t max_workers() const noexcept { return 1; }
    [[nodiscard]] executor_stats stats() const noexcept;
    [[nodiscard]] detail::executor_core& core() noexcept;

private:
    std::unique_ptr<detail::executor_core> core_;
};

} // namespace weft
