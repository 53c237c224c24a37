// weft::thread_pool (thread_pool.hpp): dedicated threads over one lock-free FIFO queue, where an
// idle worker looks for a call briefly before it sleeps and a submitter wakes one only when one
// sleeps; and weft::inline_executor, which runs each call on the submitting thread.
#include <weft/executors/thread_pool.hpp>

#include "yield_until.hpp"

#include <weft/runtime/log.hpp>

#include <oneapi/tbb/concurrent_queue.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace weft {

namespace detail {

/// Dedicated threads over one FIFO queue. The queue is lock-free (oneTBB's concurrent_queue);
/// the mutex and condition variables are only for threads that sleep: a worker with nothing to do
/// looks for a call for a few microseconds, then sleeps, and a submitter wakes one only when one
/// sleeps; a submitter to a full bounded queue sleeps until a worker takes a call.
class thread_pool_core final : public executor_core {
public:
    explicit thread_pool_core(const thread_pool::options& o)
        : executor_core(o.name != nullptr ? o.name : "thread_pool"), max_queue_(o.max_queue) {
        std::size_t n =
            o.threads != 0 ? o.threads : std::max(1U, std::thread::hardware_concurrency());
        threads_.reserve(n);
        live_.store(n, std::memory_order_seq_cst);
        for (std::size_t i = 0; i < n; ++i) {
            threads_.emplace_back([this, i] { work(i); });
        }
    }

    ~thread_pool_core() override {
        stop_workers(false);
        join();
    }

    [[nodiscard]] std::size_t max_workers() const noexcept override { return threads_.size(); }

protected:
    bool enqueue(job& j, bool wait_for_room) override {
        if (max_queue_ != 0 && !reserve_room(wait_for_room)) {
            return false;
        }
        queue_.push(std::move(j));
        // Pairs with a worker's fence before it sleeps: either it sees this call, or we see it
        // asleep and wake it.
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (sleepers_.load(std::memory_order_relaxed) != 0) {
            { std::lock_guard lock(mtx_); }
            work_cv_.notify_one();
        }
        if (stopping_.load(std::memory_order_seq_cst) &&
            live_.load(std::memory_order_seq_cst) == 0) {
            refuse_stranded();
        }
        return true;
    }

    void stop_workers(bool wait) noexcept override {
        {
            std::lock_guard lock(mtx_);
            stopping_.store(true, std::memory_order_seq_cst);
        }
        work_cv_.notify_all();
        room_cv_.notify_all();
        if (wait) {
            join();
        }
    }

    void join() noexcept {
        std::lock_guard lock(join_mtx_);
        for (auto& t : threads_) {
            if (t.joinable() && t.get_id() != std::this_thread::get_id()) {
                t.join();
            }
        }
    }

private:
    /// A submit that counted its call before shutdown(wait=false) can push it after the last
    /// worker left (leave() and this pair through seq_cst fences: either that worker sees the call
    /// and stays, or the submitter sees no worker): the calls left in the queue fail with
    /// executor_shut_down here rather than wait for the pool's destruction.
    void refuse_stranded() noexcept {
        const refusal r;
        job j;
        while (queue_.try_pop(j)) {
            if (max_queue_ != 0) {
                release_room();
            }
            j();
            j = {};
        }
    }

    /// A worker found the pool stopping and the queue empty: false when a call came meanwhile
    /// (the worker stays for it), true when it may go.
    bool leave() noexcept {
        live_.fetch_sub(1, std::memory_order_seq_cst);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (queue_.empty()) {
            return true;
        }
        live_.fetch_add(1, std::memory_order_seq_cst);
        return false;
    }

    /// Takes one of the max_queue places; false when full and not waiting.
    /// @throws executor_shut_down when the pool stops while this waits.
    bool reserve_room(bool wait_for_room) {
        std::size_t n = queued_.load(std::memory_order_relaxed);
        for (;;) {
            if (n < max_queue_) {
                if (queued_.compare_exchange_weak(n, n + 1, std::memory_order_seq_cst,
                                                  std::memory_order_relaxed)) {
                    return true;
                }
                continue;
            }
            if (!wait_for_room) {
                return false;
            }
            std::unique_lock lock(mtx_);
            room_waiters_.fetch_add(1, std::memory_order_seq_cst);
            room_cv_.wait(lock, [this] {
                return stopping_.load(std::memory_order_seq_cst) ||
                       queued_.load(std::memory_order_seq_cst) < max_queue_;
            });
            room_waiters_.fetch_sub(1, std::memory_order_seq_cst);
            if (stopping_.load(std::memory_order_seq_cst)) {
                throw executor_shut_down("executor '" + name() +
                                         "' shut down while waiting for room");
            }
            n = queued_.load(std::memory_order_relaxed);
        }
    }

    /// A worker took a call from a bounded queue: one place is free.
    void release_room() noexcept {
        queued_.fetch_sub(1, std::memory_order_seq_cst);
        if (room_waiters_.load(std::memory_order_seq_cst) != 0) {
            { std::lock_guard lock(mtx_); }
            room_cv_.notify_one();
        }
        room_freed();
    }

    void work(std::size_t index) {
        std::string label = name().substr(0, 10) + "/" + std::to_string(index);
        pthread_setname_np(pthread_self(), label.substr(0, 15).c_str());
        job j;
        for (;;) {
            if (queue_.try_pop(j)) {
                if (max_queue_ != 0) {
                    release_room();
                }
                j();
                j = {};
                continue;
            }
            // A call often follows soon (a loop awaiting one call after another, the next burst
            // of a gather): look for one briefly before sleeping, which would cost the submitter
            // a wake-up of about 40 us on a busy machine.
            if (yield_until(
                    [this] { return !queue_.empty() || stopping_.load(std::memory_order_relaxed); },
                    linger_time) &&
                !queue_.empty()) {
                continue;
            }
            std::unique_lock lock(mtx_);
            sleepers_.fetch_add(1, std::memory_order_seq_cst);
            std::atomic_thread_fence(std::memory_order_seq_cst);
            work_cv_.wait(lock, [this] {
                return stopping_.load(std::memory_order_seq_cst) || !queue_.empty();
            });
            sleepers_.fetch_sub(1, std::memory_order_seq_cst);
            if (stopping_.load(std::memory_order_seq_cst) && queue_.empty() && leave()) {
                return; // stopping and drained
            }
        }
    }

    const std::size_t max_queue_;
    // std::allocator, not oneTBB's: ThreadSanitizer then sees the queue's memory come and go.
    tbb::concurrent_queue<job, std::allocator<job>> queue_;
    std::atomic<std::size_t> queued_{0}; ///< places taken in a bounded queue
    alignas(64) std::atomic<int> sleepers_{0};
    std::atomic<int> room_waiters_{0};
    std::atomic<std::size_t> live_{0}; ///< workers that have not left (leave())
    std::atomic<bool> stopping_{false};
    std::mutex mtx_;
    std::condition_variable work_cv_;
    std::condition_variable room_cv_;
    std::mutex join_mtx_;
    std::vector<std::thread> threads_;
};

/// Runs each job on the submitting thread.
class inline_core final : public executor_core {
public:
    inline_core() : executor_core("inline_executor") {}
    [[nodiscard]] std::size_t max_workers() const noexcept override { return 1; }

protected:
    bool enqueue(job& j, bool /*wait_for_room*/) override {
        j();
        return true;
    }
    void stop_workers(bool /*wait*/) noexcept override {}
};

} // namespace detail

thread_pool::thread_pool(options opts)
    : executor_base(std::make_unique<detail::thread_pool_core>(opts)) {}

inline_executor::inline_executor() : executor_base(std::make_unique<detail::inline_core>()) {}

} // namespace weft
