#pragma once

// What one call of `weft stress` does on its executor's thread.

#include "spec.hpp"

#include <cstdint>

namespace weft::stress {

/// A workload call that failed (an I/O error, a crash workload outside a process pool).
class workload_error : public error {
public:
    using error::error;
};

/// Runs one call of w (the part of a mix chosen by id, deterministically) on this thread and
/// returns a checksum of the work, so that the compiler keeps it.
/// @throws workload_error when the work itself fails.
std::uint64_t run_workload(const workload_spec& w, std::uint64_t id);

/// A uniform draw in [0, 1) from a call id and a salt: the same on every run.
[[nodiscard]] double unit_draw(std::uint64_t id, std::uint64_t salt) noexcept;

/// Whether call id of a crash:<rate> part crashes its worker.
[[nodiscard]] bool crashes(const workload_spec& part, std::uint64_t id) noexcept;

/// The part of a mixed workload that call id runs (w itself when not mixed).
[[nodiscard]] const workload_spec& pick_part(const workload_spec& w, std::uint64_t id) noexcept;

} // namespace weft::stress
