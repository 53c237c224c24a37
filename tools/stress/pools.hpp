#pragma once

// The executors under test behind one face: make one from its spec, submit a call of the
// workload to it.

#include "spec.hpp"
#include "tracking.hpp"

#include <weft/runtime/future.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

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
    /// Worker crashes it recovered from so far.
    [[nodiscard]] virtual std::uint64_t crashes() const noexcept { return 0; }

    [[nodiscard]] const executor_spec& spec() const noexcept { return spec_; }

protected:
    explicit pool(executor_spec spec) : spec_(std::move(spec)) {}

private:
    executor_spec spec_;
};

} // namespace weft::stress
