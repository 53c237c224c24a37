#pragma once

#include <chrono>

namespace weft {

/// The clock of every loop: monotonic, as asyncio's loop.time().
using clock = std::chrono::steady_clock;

} // namespace weft
