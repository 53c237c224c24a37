#pragma once

#include <chrono>

namespace weft {

/// The clock of every loop: monotonic, as asyncio's loop.time().
using clock = std::chrono::steady_clock;

/// Which time a runtime's loops keep (options::clock).
enum class clock_kind {
    /// The monotonic clock: timers fire when their time comes.
    real,
    /// Virtual time for tests: it stands still until weft::advance() moves it, so sleep, wait_for
    /// and call_later fire only then, instantly and in a deterministic order (tokio's
    /// time::pause/advance, seastar's manual_clock).
    manual,
};

} // namespace weft
