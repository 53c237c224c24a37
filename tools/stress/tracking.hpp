#pragma once

// The book-keeping of one cell: which call ids were issued, ran and were reported (the
// exactly-once check), which thread ran each call (worker balance), and the latency histograms.

#include "histogram.hpp"
#include "spec.hpp"

#include <weft/runtime/clock.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace weft::stress {

/// Threads that ran calls, numbered in the order they first ran one (process-wide).
class thread_registry {
public:
    static constexpr std::size_t capacity = 1024;
    /// This thread's slot (capacity - 1 is shared by every thread past the first capacity - 1).
    [[nodiscard]] static std::size_t slot() noexcept;
    /// The kernel thread id of a slot (0 when unused or shared).
    [[nodiscard]] static long tid(std::size_t slot) noexcept;
};

/// Per call id: how often it ran and how often its caller saw it complete. Ids are issued from 0
/// up; room for an id must be made with prepare() before the call is submitted.
class id_tracker {
public:
    static constexpr std::size_t chunk_size = 1 << 16;
    static constexpr std::size_t max_chunks = 1 << 12;
    /// Ids past this are not issued.
    static constexpr std::uint64_t max_ids = std::uint64_t{chunk_size} * max_chunks;

    id_tracker();
    ~id_tracker();
    id_tracker(const id_tracker&) = delete;
    id_tracker& operator=(const id_tracker&) = delete;

    /// Makes room for id; any thread.
    void prepare(std::uint64_t id);
    void mark_ran(std::uint64_t id) noexcept;
    void mark_done(std::uint64_t id) noexcept;

    struct verdict {
        std::uint64_t lost = 0;
        std::uint64_t doubled = 0;
    };
    /// Checks ids [0, issued): each must have run once and completed once. Call when no call is
    /// in flight.
    [[nodiscard]] verdict check(std::uint64_t issued) const noexcept;

private:
    struct entry {
        std::atomic<std::uint8_t> ran{0};
        std::atomic<std::uint8_t> done{0};
    };
    entry* find(std::uint64_t id) const noexcept;

    std::array<std::atomic<entry*>, max_chunks> chunks_{};
    std::mutex grow_;
};

/// One cell's shared state: issued by loops, updated by workers.
class cell_context {
public:
    /// A cell that issues `tasks` ids, or ids until `deadline` when given; loops: the runtime's.
    cell_context(std::uint64_t tasks, std::optional<clock::time_point> deadline, std::size_t loops,
                 const test_hooks& hooks, bool record);

    /// The next call id, or nothing once the cell has issued its share (also makes room for it).
    [[nodiscard]] std::optional<std::uint64_t> take_id();
    /// Ids handed out by take_id.
    [[nodiscard]] std::uint64_t issued() const noexcept;

    /// Where the work runs: the call with this id ran on this thread.
    void ran(std::uint64_t id) noexcept;
    /// Where a process pool's call returns: call id ran in worker process pid.
    void ran_remote(std::uint64_t id, long pid);
    /// A worker crashed running a call (the pool recovered).
    void crash() noexcept { crashes_.fetch_add(1, std::memory_order_relaxed); }
    /// Where the caller resumes (a loop thread): the call completed after `latency`.
    void done(std::uint64_t id, clock::duration latency) noexcept;
    /// A call threw.
    void error() noexcept { errors_.fetch_add(1, std::memory_order_relaxed); }

    [[nodiscard]] std::uint64_t completed() const noexcept {
        return completed_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t errors() const noexcept {
        return errors_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t crashes() const noexcept {
        return crashes_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t tasks() const noexcept { return tasks_; }
    [[nodiscard]] const std::optional<clock::time_point>& deadline() const noexcept {
        return deadline_;
    }
    [[nodiscard]] id_tracker::verdict check() const noexcept { return ids_.check(issued()); }
    /// Every loop's histogram merged (call when no call is in flight).
    [[nodiscard]] histogram latencies() const;
    /// Calls run per thread slot (call when no call is in flight).
    [[nodiscard]] std::vector<std::uint64_t> per_thread() const;
    /// Calls run per worker process (call when no call is in flight).
    [[nodiscard]] std::vector<std::uint64_t> per_process() const;

private:
    std::uint64_t tasks_;
    std::optional<clock::time_point> deadline_;
    test_hooks hooks_;
    bool record_;
    id_tracker ids_;
    std::atomic<std::uint64_t> next_{0};
    std::atomic<std::uint64_t> completed_{0};
    std::atomic<std::uint64_t> errors_{0};
    std::atomic<std::uint64_t> crashes_{0};
    mutable std::mutex remote_mtx_;
    std::map<long, std::uint64_t> remote_;         // calls per worker process
    std::vector<std::unique_ptr<histogram>> hist_; // one per loop: written by that loop only
    std::unique_ptr<std::array<std::atomic<std::uint32_t>, thread_registry::capacity>> threads_;
};

} // namespace weft::stress
