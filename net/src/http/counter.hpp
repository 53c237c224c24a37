#pragma once

// The server's statistics counters (server::stats()): bumped by every loop, read from any thread.
// Each counter has a cache line of its own, so that loops bumping different counters do not
// bounce one line between their cores. Relaxed order throughout: a counter orders nothing, and a
// snapshot of several need not be consistent.

#include <atomic>
#include <cstdint>

// Private to libweft: hidden from its exported symbols, so that calls to it are direct (no PLT)
// and may be inlined.
#pragma GCC visibility push(hidden)

namespace weft::http::detail {

struct alignas(64) counter {
    std::atomic<std::uint64_t> v{0};
    void add(std::uint64_t n = 1) noexcept { v.fetch_add(n, std::memory_order_relaxed); }
    void sub(std::uint64_t n = 1) noexcept { v.fetch_sub(n, std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t get() const noexcept { return v.load(std::memory_order_relaxed); }
};

} // namespace weft::http::detail

#pragma GCC visibility pop
