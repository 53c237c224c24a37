#pragma once

// The executors under test behind one face: make one from its spec, submit a call of the
// workload to it.

#include "spec.hpp"
#include "tracking.hpp"

#include <weft/runtime/future.hpp>
#include <weft/runtime/task.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace weft::stress {

/// One executor under test.
class pool {
public:
    virtual ~pool() = default;

    /// Builds the executor a spec names.
    /// @throws spec_error for an executor this build cannot make.
    [[nodiscard]] static std::unique_ptr<pool> make(const executor_spec& spec);

    /// Runs call id of w on the executor (run_in_executor): the call reports to ctx where it runs.
    [[nodiscard]] virtual future<std::uint64_t> call(cell_context& ctx, const workload_spec& w,
                                                     std::uint64_t id) = 0;
    /// Threads it may use at once.
    [[nodiscard]] virtual std::size_t max_workers() const noexcept = 0;
    /// Waits until it can take calls (a redis pool: until its workers answer), on a loop, before
    /// the sweep measures it.
    /// @throws workload_error when it cannot (no worker answers).
    [[nodiscard]] virtual task<void> get_ready() { co_return; }
    /// Its worker processes (none for thread-based executors).
    [[nodiscard]] virtual std::vector<long> worker_pids() const { return {}; }
    /// How many worker processes it runs when none is being replaced (0: none of its own).
    [[nodiscard]] virtual std::size_t worker_processes() const noexcept { return max_workers(); }

    /// Readies the process for process pools (weft::init) while it has one thread; call before
    /// any executor or runtime starts.
    /// @throws spec_error when this build has no process pools, or threads already run and
    /// weft::init was not called first in main().
    static void prepare_process_pools();

    [[nodiscard]] const executor_spec& spec() const noexcept { return spec_; }

protected:
    explicit pool(executor_spec spec) : spec_(std::move(spec)) {}

private:
    executor_spec spec_;
};

} // namespace weft::stress
