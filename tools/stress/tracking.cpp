// The book-keeping of one `weft stress` cell (tracking.hpp): slots for the threads that run calls,
// the per-id record of issued, ran and done behind the exactly-once check, handing out call ids
// until the cell's count or deadline, and the latency histograms, one per loop, merged on read.
#include "tracking.hpp"

#include <weft/runtime/loop.hpp>

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

namespace weft::stress {

namespace {

std::atomic<std::size_t> next_slot{0};
std::array<std::atomic<long>, thread_registry::capacity> slot_tids{};

} // namespace

std::size_t thread_registry::slot() noexcept {
    thread_local const std::size_t mine = [] {
        const std::size_t s = next_slot.fetch_add(1, std::memory_order_relaxed);
        if (s >= capacity - 1) {
            return capacity - 1;
        }
        slot_tids[s].store(static_cast<long>(::syscall(SYS_gettid)), std::memory_order_relaxed);
        return s;
    }();
    return mine;
}

long thread_registry::tid(std::size_t slot) noexcept {
    return slot < capacity ? slot_tids[slot].load(std::memory_order_relaxed) : 0;
}

id_tracker::id_tracker() = default;

id_tracker::~id_tracker() {
    for (auto& c : chunks_) {
        delete[] c.load(std::memory_order_relaxed);
    }
}

void id_tracker::prepare(std::uint64_t id) {
    auto& slot = chunks_[static_cast<std::size_t>(id / chunk_size)];
    if (slot.load(std::memory_order_acquire) != nullptr) {
        return;
    }
    std::lock_guard<std::mutex> g(grow_);
    if (slot.load(std::memory_order_relaxed) == nullptr) {
        slot.store(new entry[chunk_size], std::memory_order_release);
    }
}

id_tracker::entry* id_tracker::find(std::uint64_t id) const noexcept {
    if (id >= max_ids) {
        return nullptr;
    }
    entry* chunk =
        chunks_[static_cast<std::size_t>(id / chunk_size)].load(std::memory_order_acquire);
    return chunk == nullptr ? nullptr : chunk + id % chunk_size;
}

void id_tracker::mark_ran(std::uint64_t id) noexcept {
    if (entry* e = find(id)) {
        // Saturating: 255 reports still read as "more than once".
        std::uint8_t v = e->ran.load(std::memory_order_relaxed);
        while (v < 255 && !e->ran.compare_exchange_weak(v, v + 1, std::memory_order_relaxed)) {
        }
    }
}

void id_tracker::mark_done(std::uint64_t id) noexcept {
    if (entry* e = find(id)) {
        std::uint8_t v = e->done.load(std::memory_order_relaxed);
        while (v < 255 && !e->done.compare_exchange_weak(v, v + 1, std::memory_order_relaxed)) {
        }
    }
}

id_tracker::verdict id_tracker::check(std::uint64_t issued) const noexcept {
    verdict v;
    for (std::uint64_t id = 0; id < issued; ++id) {
        const entry* e = find(id);
        const unsigned ran = e == nullptr ? 0 : e->ran.load(std::memory_order_acquire);
        const unsigned done = e == nullptr ? 0 : e->done.load(std::memory_order_acquire);
        if (ran == 0 || done == 0) {
            ++v.lost;
        } else if (ran > 1 || done > 1) {
            ++v.doubled;
        }
    }
    return v;
}

cell_context::cell_context(std::uint64_t tasks, std::optional<clock::time_point> deadline,
                           std::size_t loops, const test_hooks& hooks, bool record)
    : tasks_(tasks), deadline_(deadline), hooks_(hooks), record_(record),
      threads_(
          std::make_unique<std::array<std::atomic<std::uint32_t>, thread_registry::capacity>>()) {
    for (std::size_t i = 0; i < std::max<std::size_t>(loops, 1); ++i) {
        hist_.push_back(std::make_unique<histogram>());
    }
}

std::optional<std::uint64_t> cell_context::take_id() {
    if (deadline_) {
        if (clock::now() >= *deadline_) {
            return std::nullopt;
        }
    } else if (next_.load(std::memory_order_relaxed) >= tasks_) {
        return std::nullopt;
    }
    const std::uint64_t id = next_.fetch_add(1, std::memory_order_relaxed);
    if ((!deadline_ && id >= tasks_) || id >= id_tracker::max_ids) {
        return std::nullopt;
    }
    ids_.prepare(id);
    return id;
}

std::uint64_t cell_context::issued() const noexcept {
    const std::uint64_t n = next_.load(std::memory_order_acquire);
    return std::min(deadline_ ? n : std::min(n, tasks_), id_tracker::max_ids);
}

void cell_context::ran(std::uint64_t id) noexcept {
    const std::size_t slot = thread_registry::slot();
    (*threads_)[slot].fetch_add(1, std::memory_order_relaxed);
    if (hooks_.lose_id && *hooks_.lose_id == id) {
        return; // the test hook: this call "never ran"
    }
    ids_.mark_ran(id);
    if (hooks_.double_id && *hooks_.double_id == id) {
        ids_.mark_ran(id); // the test hook: this call "ran twice"
    }
}

void cell_context::ran_remote(std::uint64_t id, long pid) {
    {
        std::lock_guard<std::mutex> g(remote_mtx_);
        ++remote_[pid];
    }
    if (hooks_.lose_id && *hooks_.lose_id == id) {
        return;
    }
    ids_.mark_ran(id);
    if (hooks_.double_id && *hooks_.double_id == id) {
        ids_.mark_ran(id);
    }
}

std::vector<std::uint64_t> cell_context::per_process() const {
    std::lock_guard<std::mutex> g(remote_mtx_);
    std::vector<std::uint64_t> out;
    for (const auto& [pid, n] : remote_) {
        out.push_back(n);
    }
    return out;
}

void cell_context::done(std::uint64_t id, clock::duration latency) noexcept {
    ids_.mark_done(id);
    completed_.fetch_add(1, std::memory_order_relaxed);
    if (record_) {
        const loop* l = detail::current_loop_ptr();
        const std::size_t i = l == nullptr ? 0 : std::min(l->id(), hist_.size() - 1);
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(latency).count();
        hist_[i]->record(ns < 0 ? 0 : static_cast<std::uint64_t>(ns));
    }
}

histogram cell_context::latencies() const {
    histogram h;
    for (const auto& p : hist_) {
        h.merge(*p);
    }
    return h;
}

std::vector<std::uint64_t> cell_context::per_thread() const {
    std::vector<std::uint64_t> out(thread_registry::capacity);
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = (*threads_)[i].load(std::memory_order_acquire);
    }
    return out;
}

} // namespace weft::stress
