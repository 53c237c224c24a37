#pragma once

// What every weft benchmark shares. Each benchmark runs Google Benchmark's timing loop inside the
// main coroutine of one weft::run(), so building and tearing down the runtime is never timed.

#include <weft/weft.hpp>

namespace weft_bench {

/// The unit of work: a task that returns its argument without suspending (asyncio's
/// `async def trivial(i): return i`). Kept out of line so that no call site can fold it away.
[[gnu::noinline]] inline weft::task<int> trivial(int i) {
    co_return i;
}

} // namespace weft_bench
