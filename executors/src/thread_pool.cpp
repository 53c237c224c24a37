#include <weft/executors/thread_pool.hpp>

#include <weft/runtime/log.hpp>

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace weft {

namespace detail {

/// Dedicated threads over one FIFO queue.
class thread_pool_core final : public executor_core {
public:
    explicit thread_pool_core(const thread_pool::options& o)
        : executor_core(o.name != nullptr ? o.name : "thread_pool"), max_queue_(o.max_queue) {
        std::size_t n =
            o.threads != 0 ? o.threads : std::max(1U, std::thread::hardware_concurrency());
        threads_.reserve(n);
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
        std::unique_lock lock(mtx_);
        if (max_queue_ != 0 && queue_.size() >= max_queue_) {
            if (!wait_for_room) {
                return false;
            }
            room_cv_.wait(lock, [this] { return stopping_ || queue_.size() < max_queue_; });
            if (stopping_) {
                throw executor_shut_down("executor '" + name() +
                                         "' shut down while waiting for room");
            }
        }
        queue_.push_back(std::move(j));
        queued_.store(queue_.size(), std::memory_order_release);
        const bool someone_sleeps = sleepers_ != 0;
        lock.unlock();
        if (someone_sleeps) {
            work_cv_.notify_one();
        }
        return true;
    }

    void stop_workers(bool wait) noexcept override {
        {
            std::lock_guard lock(mtx_);
            stopping_ = true;
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
    void work(std::size_t index) {
        std::string label = name().substr(0, 10) + "/" + std::to_string(index);
        pthread_setname_np(pthread_self(), label.substr(0, 15).c_str());
        for (;;) {
            job j;
            {
                std::unique_lock lock(mtx_);
                if (queue_.empty() && !stopping_) {
                    // A call often follows soon (a loop awaiting one call after another, the next
                    // burst of a gather): look for one briefly before sleeping, which would cost
                    // the submitter a wake-up of about 40 us on a busy machine.
                    lock.unlock();
                    spin_for_work();
                    lock.lock();
                }
                ++sleepers_;
                work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
                --sleepers_;
                if (queue_.empty()) {
                    return; // stopping and drained
                }
                j = std::move(queue_.front());
                queue_.pop_front();
                queued_.store(queue_.size(), std::memory_order_release);
            }
            if (max_queue_ != 0) {
                room_cv_.notify_one();
                room_freed();
            }
            j();
        }
    }

    /// Yields for a few microseconds while the queue is empty.
    void spin_for_work() const noexcept {
        const auto until = std::chrono::steady_clock::now() + spin_time;
        for (int i = 0; queued_.load(std::memory_order_acquire) == 0; ++i) {
            if ((i & 15) == 15 && std::chrono::steady_clock::now() >= until) {
                return;
            }
            std::this_thread::yield();
        }
    }

    static constexpr std::chrono::microseconds spin_time{50};

    const std::size_t max_queue_;
    std::atomic<std::size_t> queued_{0}; ///< queue_.size(), readable without the mutex
    std::size_t sleepers_ = 0;           ///< workers waiting on work_cv_ (under mtx_)
    std::mutex mtx_;
    std::condition_variable work_cv_;
    std::condition_variable room_cv_;
    std::deque<job> queue_;
    bool stopping_ = false;
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
