#include <weft/executors/thread_pool.hpp>

#include <weft/runtime/log.hpp>

#include <pthread.h>

#include <algorithm>
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
        lock.unlock();
        work_cv_.notify_one();
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
                work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
                if (queue_.empty()) {
                    return; // stopping and drained
                }
                j = std::move(queue_.front());
                queue_.pop_front();
            }
            if (max_queue_ != 0) {
                room_cv_.notify_one();
                room_freed();
            }
            j();
        }
    }

    const std::size_t max_queue_;
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
