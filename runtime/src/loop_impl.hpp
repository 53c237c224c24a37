#pragma once

// Private: the engine behind weft::loop (loop_impl.cpp): its io_context, ready queue, inbox,
// timers and roots, and the counters that loop_stats reports.

#include "extensions.hpp"
#include "virtual_clock.hpp"

#include <weft/runtime/detail/loop_ops.hpp>
#include <weft/runtime/detail/root.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/stats.hpp>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace weft::detail {

class runtime;
class signal_service;

/// The engine behind weft::loop. Everything but the inbox and load_ is loop-thread-only.
class loop_impl {
public:
    loop_impl(loop& owner, runtime* rt, std::size_t id);
    loop_impl(const loop_impl&) = delete;
    loop_impl& operator=(const loop_impl&) = delete;
    ~loop_impl();

    // Ready queue.
    void schedule(runnable r);
    // Inbox, from any thread.
    void post(unique_function<void()> f);

    // Timers.
    void add_timer(timer_node* n);
    void remove_timer(timer_node* n) noexcept;

    // Roots.
    void root_started(root_base* r) noexcept;
    void root_finished(root_base* r) noexcept;
    /// The oldest live root (follow next_ for the others); loop thread only.
    [[nodiscard]] root_base* first_root() const noexcept { return roots_head_; }
    /// Cancels every live root (main ones too when include_main); on_drained runs on this loop
    /// once every root handed to it (but the main ones, unless included) has finished.
    void begin_shutdown(bool include_main, unique_function<void()> on_drained);

    /// Runs until stop(); sets this loop as the thread's current loop meanwhile.
    void run();
    /// Makes run() return; one before run() makes it do one pass and return.
    void stop();
    /// Cancels live roots, runs until they unwind, drops timers and queues.
    void close();

    /// Whether the calling thread is the one running this loop.
    [[nodiscard]] bool on_loop_thread() const noexcept;

    // ---- time, metrics, stall detector, debug mode ----------------------------------------
    /// The loop's time: the monotonic clock, or the runtime's virtual clock.
    [[nodiscard]] clock::time_point now() const noexcept {
        return vclock_ != nullptr ? vclock_->now() : clock::now();
    }
    [[nodiscard]] virtual_clock* vclock() const noexcept { return vclock_; }
    /// Set by the runtime before the loop runs.
    void configure(bool debug, std::chrono::nanoseconds slow, virtual_clock* vclock) noexcept;
    /// When the earliest timer is due, if any. Loop thread only.
    [[nodiscard]] std::optional<clock::time_point> next_deadline() const noexcept;
    /// Fires the timers due at now(). Loop thread only.
    void fire_due_timers() noexcept { on_timer(); }
    /// Steps in the ready queue now. Loop thread only.
    [[nodiscard]] std::size_t ready_size() const noexcept { return ready_.size(); }
    /// The counters, from any thread.
    [[nodiscard]] loop_stats stats() const noexcept;
    /// Cancels the main task(s) on this loop (SIGINT/SIGTERM). Loop thread only.
    void cancel_main() noexcept;

    /// The loop's io_context, for weft's own I/O (net/): handlers run on the loop thread, between
    /// ready-queue batches. Never handed to users.
    [[nodiscard]] asio::io_context& io() noexcept { return io_; }

    loop& owner;
    runtime* const rt;
    const std::size_t id;
    std::atomic<std::size_t> load{0}; ///< live + reserved roots, for least-busy placement
    std::atomic<bool> running{false};
    std::atomic<bool> closed{false};
    /// Shutting down (weft::run's exit or close()): see admission().
    bool closing = false;
    enum class admit { run, cancelled, refuse };
    /// How a root starting now is treated: close() refuses it (it finishes as cancelled without
    /// running); during weft::run's exit it starts already cancelled (cleanup code that creates a
    /// task sees it run and unwind); otherwise it runs.
    [[nodiscard]] admit admission(const root_base& r) const noexcept {
        if (!closing || (r.main_ && !drain_main_)) {
            return admit::run;
        }
        return drain_main_ ? admit::refuse : admit::cancelled;
    }
    std::atomic<std::size_t> live_roots{0}; ///< written on the loop thread only
    extension_set extensions;               ///< a stand-alone loop's (a runtime keeps its own)
    /// A stand-alone loop's signal handlers (a runtime keeps its own), made on first use.
    std::unique_ptr<signal_service> own_signals;

private:
    /// Written on the loop thread only (plain load + store), read from anywhere.
    struct counters {
        std::atomic<std::uint64_t> tasks_created{0};
        std::atomic<std::uint64_t> steps{0};
        std::atomic<std::uint64_t> stalls{0};
        std::atomic<std::int64_t> longest_ns{0};
        std::atomic<std::size_t> ready_depth{0};
        std::atomic<std::size_t> timers{0};
    };
    /// Accounts for a stretch of `steps` steps from start to end; `what` names them for the
    /// debug-mode warning (null: the caller warned per step already).
    void end_step(std::int64_t start_ns, std::int64_t end_ns, std::uint64_t steps,
                  const char* what) noexcept;
    void run_batch_debug() noexcept;
    void warn_slow(std::chrono::nanoseconds took, const std::string& where) const noexcept;

    void drain_ready() noexcept;
    void drain_inbox() noexcept;
    void arm_timer();
    void on_timer() noexcept;
    void heap_up(std::size_t i) noexcept;
    void heap_down(std::size_t i) noexcept;
    void heap_swap(std::size_t a, std::size_t b) noexcept;
    [[nodiscard]] bool heap_less(std::size_t a, std::size_t b) const noexcept;
    void check_drained() noexcept;

    asio::io_context io_;

    std::vector<runnable> ready_;
    std::vector<runnable> batch_;
    bool drain_posted_ = false;

    std::mutex inbox_mtx_;
    std::vector<unique_function<void()>> inbox_;
    std::vector<unique_function<void()>> inbox_batch_;
    std::atomic<bool> wake_pending_{false};

    std::vector<timer_node*> heap_;
    std::uint64_t timer_seq_ = 0;
    asio::steady_timer timer_;
    clock::time_point armed_for_ = clock::time_point::max();

    root_base* roots_head_ = nullptr;
    root_base* roots_tail_ = nullptr;
    unique_function<void()> on_drained_;
    std::size_t main_live_ = 0;
    bool drain_main_ = false;
    std::atomic<bool> stop_requested_{false};

    std::atomic<std::thread::id> thread_{};

    counters stats_;
    bool debug_ = false;
    bool debug_counted_ = false; ///< a stand-alone loop in debug mode (WEFT_DEBUG) counts itself
    std::chrono::nanoseconds slow_{std::chrono::milliseconds(100)};
    virtual_clock* vclock_ = nullptr;
};

/// The loop a loop_impl belongs to, by reference.
[[nodiscard]] inline loop_impl& impl_of(loop& l) noexcept {
    return l.impl();
}

} // namespace weft::detail
