#pragma once

// Private: the engine of one weft::run() (runtime.cpp): its loops and their threads, its
// extensions and its signal service.

#include "extensions.hpp"
#include "virtual_clock.hpp"

#include <weft/runtime/loop.hpp>
#include <weft/runtime/run.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace weft::detail {

class signal_service;

/// The loops of one weft::run(): loop 0 on the caller's thread, the others on their own threads.
class runtime {
public:
    explicit runtime(const options& opts);
    runtime(const runtime&) = delete;
    runtime& operator=(const runtime&) = delete;
    /// Stops and joins the loop threads, then closes the loops.
    ~runtime();

    void start_threads();
    void stop_and_join() noexcept;

    [[nodiscard]] std::size_t size() const noexcept { return loops_.size(); }
    [[nodiscard]] loop& loop_at(std::size_t index);
    [[nodiscard]] loop& least_busy() noexcept;
    [[nodiscard]] const options& opts() const noexcept { return opts_; }
    [[nodiscard]] extension_set& extensions() noexcept { return extensions_; }

    /// The signal service of this runtime while weft::run() runs its main task, else null.
    signal_service* signals = nullptr;

private:
    options opts_;
    std::unique_ptr<virtual_clock> vclock_;
    bool debug_ = false;
    std::vector<std::unique_ptr<loop>> loops_;
    std::vector<std::thread> threads_;
    std::atomic<std::size_t> next_{0};
    extension_set extensions_;
};

/// Pins the calling thread to one CPU; returns false when the system refuses.
bool pin_this_thread(std::size_t cpu) noexcept;

} // namespace weft::detail
