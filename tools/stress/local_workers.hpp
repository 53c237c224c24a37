#pragma once

// The `weft worker` processes a `redis:URL,workers=N` executor starts for its run: children of
// this program (/proc/self/exe worker --redis URL ...), told to drain with SIGTERM and reaped when
// the executor goes.

#include "spec.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <sys/types.h>
#include <vector>

namespace weft::stress {

/// N local redis workers serving one queue. Thread safety: any thread may call first_exit(),
/// all_exited() and pids(); the destructor runs once no call is in flight.
class local_workers {
public:
    /// Starts spec.workers processes, each running spec.per_worker calls at once. They inherit
    /// the environment (WEFT_REDIS_PASSWORD, WEFT_REDIS_USER); their stdout goes to stderr.
    /// @throws spec_error when one cannot be started.
    explicit local_workers(const redis_spec& spec);
    local_workers(const local_workers&) = delete;
    local_workers& operator=(const local_workers&) = delete;
    /// SIGTERM to each (it finishes the calls it holds), then reaps them; SIGKILL after a bound.
    ~local_workers();

    /// Reaps the workers that exited, each told on stderr (its calls go to the others after the
    /// visibility timeout), and describes the first ("redis worker 1234 exited with status 2");
    /// "" while all run. It looks (waitpid) at most every check_interval; in between it costs
    /// an atomic load or two.
    [[nodiscard]] std::string first_exit();
    /// Whether every worker has exited, as of first_exit()'s last look.
    [[nodiscard]] bool all_exited() const noexcept;
    /// The pids of the workers still running.
    [[nodiscard]] std::vector<long> pids() const;

private:
    std::vector<pid_t> pids_; ///< -1 once reaped
    std::string first_exit_;  ///< the first exit seen
    mutable std::mutex m_;    ///< guards pids_ and first_exit_ after construction
    /// When first_exit() next looks, in steady_clock ticks: only spaces the looks out (relaxed).
    std::atomic<std::int64_t> next_check_{0};
    /// True once first_exit_ is set (release by its writer, acquire by readers).
    std::atomic<bool> any_exited_{false};
    /// Workers not yet reaped (relaxed: a hint to callers, pids_ under m_ is the truth).
    std::atomic<std::size_t> running_{0};
};

} // namespace weft::stress
