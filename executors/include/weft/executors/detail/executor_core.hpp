#pragma once

#include <weft/executors/executor.hpp>
#include <weft/runtime/detail/unique_function.hpp>
#include <weft/runtime/future.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace weft::detail {

/// The non-template half every executor shares: accounting, shutdown, and the queue it feeds.
class executor_core {
public:
    explicit executor_core(std::string name) : name_(std::move(name)) {}
    executor_core(const executor_core&) = delete;
    executor_core& operator=(const executor_core&) = delete;
    virtual ~executor_core() = default;

    using job = unique_function<void()>;

    /// Accepts a job; blocks for room when the executor's queue is bounded and full.
    /// @throws executor_shut_down after shutdown().
    void accept(job j);

    /// Accepts a job only if there is room now; false when full.
    /// @throws executor_shut_down after shutdown().
    bool try_accept(job& j);

    /// A future completed once there may be room in a bounded queue (at once when unbounded).
    [[nodiscard]] future<void> when_room();

    /// Stops accepting work; see the executor concept. With a timeout, waits at most that long
    /// and returns false when calls are still running.
    bool shutdown(bool wait, bool cancel_pending,
                  std::optional<std::chrono::milliseconds> timeout = std::nullopt);

    [[nodiscard]] executor_stats stats() const noexcept;
    [[nodiscard]] virtual std::size_t max_workers() const noexcept = 0;
    [[nodiscard]] bool is_shut_down() const noexcept {
        return shut_down_.load(std::memory_order_acquire);
    }
    [[nodiscard]] const std::string& name() const noexcept { return name_; }

    // Job side.
    /// Moves a job from queued to running; false when it must not run (its caller gave up, or
    /// shutdown(cancel_pending)): it then counts as cancelled once end_job() is called.
    bool begin_job(bool abandoned) noexcept;
    enum class job_end { completed, failed, cancelled, discarded };

    /// While one lives on a thread, the jobs it runs are refused instead of run: begin_job()
    /// returns false and the call fails with executor_shut_down. For calls queued after the last
    /// worker left (a submit racing shutdown(wait=false)), which the submitter must not strand.
    class refusal {
    public:
        refusal() noexcept { refusing_ = true; }
        ~refusal() { refusing_ = false; }
        refusal(const refusal&) = delete;
        refusal& operator=(const refusal&) = delete;
    };
    [[nodiscard]] static bool refusing() noexcept { return refusing_; }

    /// Tests only: called by accept() and try_accept() between counting a call and handing it
    /// to the workers, the window in which a shutdown() on another thread can pass it by.
    static inline std::atomic<void (*)()> before_enqueue_hook{nullptr};
    void end_job(job_end how) noexcept;

protected:
    /// Hands the job to the workers; false when a bounded queue is full (job left untouched).
    virtual bool enqueue(job& j, bool wait_for_room) = 0;
    /// Called by shutdown() after the last job finished (or right away when not waiting).
    virtual void stop_workers(bool wait) noexcept = 0;
    /// Subclasses call this when a bounded queue gains room.
    void room_freed() noexcept;

private:
    void check_open() const;
    /// Counts a call submitted; throws executor_shut_down when shutdown began meanwhile.
    void count_submitted();

    std::string name_;
    std::atomic<bool> shut_down_{false};
    std::atomic<bool> cancel_pending_{false};

    /// Calls that ended, in any way (the workers' counters summed).
    [[nodiscard]] std::uint64_t ended() const noexcept;

    // Counters, sharded by the thread that writes them, so that loops submitting and workers
    // running calls do not share cache lines (one shard per thread slot; a slot is given to each
    // thread on its first count, round robin). queued and running are derived (submitted -
    // started, started - ended), and shutdown(wait) waits for ended to reach submitted.
    struct alignas(64) counter_shard {
        std::atomic<std::uint64_t> submitted{0};
        std::atomic<std::uint64_t> started{0};
        std::atomic<std::uint64_t> completed{0};
        std::atomic<std::uint64_t> failed{0};
        std::atomic<std::uint64_t> cancelled{0};
        std::atomic<std::uint64_t> discarded{0};
    };
    static constexpr std::size_t shard_count = 16;
    /// This thread's shard.
    [[nodiscard]] counter_shard& my_shard() noexcept;
    /// Sum of one counter over the shards.
    [[nodiscard]] std::uint64_t sum(std::atomic<std::uint64_t> counter_shard::*c) const noexcept;

    counter_shard shards_[shard_count];
    /// Set (under mtx_) once shutdown(wait) waits: ending calls then count under mtx_ and notify.
    std::atomic<bool> waiting_{false};

    static thread_local bool refusing_;

    alignas(64) mutable std::mutex mtx_;
    std::condition_variable idle_cv_;
    std::vector<promise<void>> room_waiters_;
    bool stopped_ = false;
};

/// Wraps fn into a job that completes p: skips fn when p's future was cancelled before the call
/// started, and discards the result of a call whose future was cancelled while it ran.
template <class R, class F>
class call_job {
public:
    call_job(F fn, promise<R> p, executor_core* core)
        : fn_(std::move(fn)), p_(std::move(p)), core_(core) {}

    void operator()() {
        if (!core_->begin_job(p_.future_cancelled())) {
            if (executor_core::refusing()) {
                (void)p_.set_exception(std::make_exception_ptr(executor_shut_down(
                    "executor '" + core_->name() + "' stopped before the call could run")));
            }
            p_.cancel(); // a no-op when the caller cancelled it already, or it failed above
            fn_.reset();
            { [[maybe_unused]] promise<R> done = std::move(p_); }
            core_->end_job(executor_core::job_end::cancelled);
            return;
        }
        bool delivered = false;
        bool threw = false;
        try {
            if constexpr (std::is_void_v<R>) {
                std::invoke(*fn_);
                delivered = p_.set_value();
            } else {
                delivered = p_.set_value(std::invoke(*fn_));
            }
        } catch (...) {
            threw = true;
            delivered = p_.set_exception(std::current_exception());
        }
        // What the call owned goes before the executor learns it finished: once shutdown(wait)
        // returns, nothing of the call is left on the worker.
        fn_.reset();
        { [[maybe_unused]] promise<R> done = std::move(p_); }
        core_->end_job(!delivered ? executor_core::job_end::discarded
                       : threw    ? executor_core::job_end::failed
                                  : executor_core::job_end::completed);
    }

private:
    std::optional<F> fn_;
    promise<R> p_;
    executor_core* core_;
};

template <class F>
using call_result_t = std::invoke_result_t<std::decay_t<F>&>;

template <class F>
constexpr void check_callable() {
    static_assert(std::is_invocable_v<std::decay_t<F>&>,
                  "an executor runs fn() with no arguments: bind them with a lambda or "
                  "weft::partial, or use run_in_executor(executor, fn, args...)");
}

/// Builds the job for fn and its future.
template <class F>
std::pair<unique_function<void()>, future<call_result_t<F>>> make_call(F&& fn,
                                                                       executor_core* core) {
    check_callable<F>();
    using R = call_result_t<F>;
    promise<R> p;
    future<R> f = p.get_future();
    unique_function<void()> job{
        call_job<R, std::decay_t<F>>(std::forward<F>(fn), std::move(p), core)};
    return {std::move(job), std::move(f)};
}

/// The submit() of every executor: runs fn() there, blocking for room in a bounded queue.
template <class F>
future<call_result_t<F>> submit_call(executor_core& core, F&& fn) {
    auto [job, f] = make_call(std::forward<F>(fn), &core);
    core.accept(std::move(job));
    return std::move(f);
}

/// The public face every executor shares (submit, shutdown, max_workers, stats) over its core.
class executor_base {
public:
    executor_base(const executor_base&) = delete;
    executor_base& operator=(const executor_base&) = delete;

    /// Runs fn() on the executor and returns its future; blocks for room when a bounded queue is
    /// full (from a loop, prefer run_in_executor, which waits without blocking).
    /// @throws executor_shut_down after shutdown().
    template <class F>
    auto submit(F&& fn) {
        return submit_call(*core_, std::forward<F>(fn));
    }

    /// Stops accepting calls; wait: block until queued and running calls finish; cancel_pending:
    /// calls that have not started are cancelled (their futures complete as cancelled).
    void shutdown(bool wait = true, bool cancel_pending = false) {
        core_->shutdown(wait, cancel_pending);
    }

    /// Threads that may run calls at once.
    [[nodiscard]] std::size_t max_workers() const noexcept { return core_->max_workers(); }
    /// The executor's counters.
    [[nodiscard]] executor_stats stats() const noexcept { return core_->stats(); }
    /// The engine-independent half, for run_in_executor.
    [[nodiscard]] executor_core& core() noexcept { return *core_; }

protected:
    explicit executor_base(std::unique_ptr<executor_core> core) noexcept : core_(std::move(core)) {}
    /// shutdown(wait = true): queued and running calls finish first.
    ~executor_base() { core_->shutdown(true, false); }

private:
    std::unique_ptr<executor_core> core_;
};

} // namespace weft::detail
