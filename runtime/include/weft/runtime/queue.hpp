#pragma once

#include <weft/runtime/detail/wait_list.hpp>
#include <weft/runtime/error.hpp>

#include <algorithm>
#include <coroutine>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace weft {

/// put_nowait() on a full queue (asyncio.QueueFull).
class queue_full : public error {
public:
    using error::error;
};

/// get_nowait() on an empty queue (asyncio.QueueEmpty).
class queue_empty : public error {
public:
    using error::error;
};

/// A put on a queue that was shut down, or a get on one that is shut down and empty
/// (asyncio.QueueShutDown).
class queue_shut_down : public error {
public:
    using error::error;
};

namespace detail {

/// First in, first out.
template <class T>
class fifo_store {
public:
    void push(T&& v) { c_.push_back(std::move(v)); }
    T pop() {
        T v = std::move(c_.front());
        c_.pop_front();
        return v;
    }
    [[nodiscard]] std::size_t size() const noexcept { return c_.size(); }
    [[nodiscard]] bool empty() const noexcept { return c_.empty(); }

private:
    std::deque<T> c_;
};

/// Last in, first out.
template <class T>
class lifo_store {
public:
    void push(T&& v) { c_.push_back(std::move(v)); }
    T pop() {
        T v = std::move(c_.back());
        c_.pop_back();
        return v;
    }
    [[nodiscard]] std::size_t size() const noexcept { return c_.size(); }
    [[nodiscard]] bool empty() const noexcept { return c_.empty(); }

private:
    std::vector<T> c_;
};

/// Smallest (by Compare) first, like asyncio's heapq-based PriorityQueue.
template <class T, class Compare>
class heap_store {
public:
    void push(T&& v) {
        c_.push_back(std::move(v));
        std::push_heap(c_.begin(), c_.end(), after());
    }
    T pop() {
        std::pop_heap(c_.begin(), c_.end(), after());
        T v = std::move(c_.back());
        c_.pop_back();
        return v;
    }
    [[nodiscard]] std::size_t size() const noexcept { return c_.size(); }
    [[nodiscard]] bool empty() const noexcept { return c_.empty(); }

private:
    // std heaps put the greatest first: order them by "comes after" to get the smallest.
    auto after() {
        return [this](const T& a, const T& b) { return cmp_(b, a); };
    }
    std::vector<T> c_;
    Compare cmp_;
};

} // namespace detail

/// An async queue (asyncio.Queue) over a Store (FIFO, LIFO or priority order): get() suspends
/// while it is empty, put() while it holds maxsize items (0: unbounded). Items go straight to the
/// longest-waiting getter, and a get makes room for the longest-waiting putter at once, so a
/// cancelled waiter never loses an item. Thread-safe; each waiter resumes on its own loop.
template <class T, class Store>
class basic_queue {
public:
    using value_type = T;

    /// A queue that holds at most maxsize items (0: no limit).
    explicit basic_queue(std::size_t maxsize = 0) noexcept : maxsize_(maxsize) {}
    basic_queue(const basic_queue&) = delete;
    basic_queue& operator=(const basic_queue&) = delete;

    /// Items in the queue.
    [[nodiscard]] std::size_t size() const {
        std::lock_guard<std::mutex> g(mutex_);
        return items_.size();
    }
    /// Whether it holds no item.
    [[nodiscard]] bool empty() const { return size() == 0; }
    /// Whether it holds maxsize items (never true for an unbounded queue).
    [[nodiscard]] bool full() const {
        std::lock_guard<std::mutex> g(mutex_);
        return !has_room_locked();
    }
    /// The capacity given at construction (0: unbounded).
    [[nodiscard]] std::size_t maxsize() const noexcept { return maxsize_; }

    /// Adds v without waiting.
    /// @throws queue_full when full; queue_shut_down after shutdown().
    void put_nowait(T v) {
        detail::wake_chain woken; // resumes after the guard below unlocks
        std::lock_guard<std::mutex> g(mutex_);
        if (shut_down_) {
            throw queue_shut_down("weft::queue::put_nowait() on a queue that was shut down");
        }
        if (!has_room_locked()) {
            throw queue_full("weft::queue::put_nowait() on a full queue");
        }
        push_locked(std::move(v), woken);
    }

    /// Takes an item without waiting.
    /// @throws queue_empty when empty; queue_shut_down when empty and shut down.
    T get_nowait() {
        detail::wake_chain woken;
        std::lock_guard<std::mutex> g(mutex_);
        if (items_.empty()) {
            if (shut_down_) {
                throw queue_shut_down("weft::queue::get_nowait() on a queue that was shut down");
            }
            throw queue_empty("weft::queue::get_nowait() on an empty queue");
        }
        return pop_locked(woken);
    }

    /// Awaiter returned by put().
    class [[nodiscard]] put_awaiter : private detail::wait_base {
    public:
        put_awaiter(basic_queue& q, T v)
            : wait_base(q.mutex_, q.putters_), q_(&q), value_(std::move(v)) {}
        [[nodiscard]] bool await_ready() const noexcept { return false; }
        template <class P>
        bool await_suspend(std::coroutine_handle<P> h) {
            detail::wake_chain woken;
            std::lock_guard<std::mutex> g(q_->mutex_);
            if (q_->shut_down_) {
                node_.st = detail::wait_node::status::closed;
                return false;
            }
            if (q_->has_room_locked()) {
                q_->push_locked(std::move(value_), woken);
                return false;
            }
            node_.data = &value_; // set here: the awaiter may have moved since construction
            return enqueue_locked(h);
        }
        void await_resume() const {
            finish_wait("weft::queue::put() was cancelled");
            if (node_.st == detail::wait_node::status::closed) {
                throw queue_shut_down("weft::queue::put() on a queue that was shut down");
            }
        }

    private:
        basic_queue* q_;
        T value_;
    };

    /// Awaiter returned by get().
    class [[nodiscard]] get_awaiter : private detail::wait_base {
    public:
        explicit get_awaiter(basic_queue& q) noexcept : wait_base(q.mutex_, q.getters_), q_(&q) {}
        [[nodiscard]] bool await_ready() const noexcept { return false; }
        template <class P>
        bool await_suspend(std::coroutine_handle<P> h) {
            detail::wake_chain woken;
            std::lock_guard<std::mutex> g(q_->mutex_);
            if (!q_->items_.empty()) {
                item_.emplace(q_->pop_locked(woken));
                return false;
            }
            if (q_->shut_down_) {
                node_.st = detail::wait_node::status::closed;
                return false;
            }
            node_.data = &item_;
            return enqueue_locked(h);
        }
        T await_resume() {
            finish_wait("weft::queue::get() was cancelled");
            if (node_.st == detail::wait_node::status::closed) {
                throw queue_shut_down("weft::queue::get() on a queue that was shut down");
            }
            return std::move(*item_);
        }

    private:
        basic_queue* q_;
        std::optional<T> item_;
    };

    /// Awaiter returned by join().
    class [[nodiscard]] join_awaiter : private detail::wait_base {
    public:
        explicit join_awaiter(basic_queue& q) noexcept : wait_base(q.mutex_, q.joiners_), q_(&q) {}
        [[nodiscard]] bool await_ready() const noexcept { return false; }
        template <class P>
        bool await_suspend(std::coroutine_handle<P> h) {
            std::lock_guard<std::mutex> g(q_->mutex_);
            if (q_->unfinished_ == 0) {
                return false;
            }
            return enqueue_locked(h);
        }
        void await_resume() const { finish_wait("weft::queue::join() was cancelled"); }

    private:
        basic_queue* q_;
    };

    /// Adds v, suspending while the queue is full. Cancellable: a cancelled put adds nothing.
    /// @throws queue_shut_down after shutdown() (also when it comes while waiting).
    [[nodiscard]] put_awaiter put(T v) { return put_awaiter{*this, std::move(v)}; }

    /// Takes the next item, suspending while the queue is empty. Cancellable: a cancelled get takes
    /// nothing. @throws queue_shut_down when the queue is shut down and empty.
    [[nodiscard]] get_awaiter get() noexcept { return get_awaiter{*this}; }

    /// Marks one item taken earlier as processed; join() returns once every item put was.
    /// @throws invalid_state_error when called more often than items were put.
    void task_done() {
        detail::wake_chain woken;
        std::lock_guard<std::mutex> g(mutex_);
        if (unfinished_ == 0) {
            throw invalid_state_error(
                "weft::queue::task_done() called more times than there were items put");
        }
        if (--unfinished_ == 0) {
            woken.add_all(joiners_);
        }
    }

    /// Suspends until every item put has been marked with task_done(). Cancellable.
    [[nodiscard]] join_awaiter join() noexcept { return join_awaiter{*this}; }

    /// Shuts the queue down (asyncio 3.13): put() now throws queue_shut_down, and so does get()
    /// once the queue is empty; blocked putters and getters wake with queue_shut_down. With
    /// `immediate`, the items left are dropped (and count as done for join()).
    void shutdown(bool immediate = false) {
        Store dropped; // destroyed last, with no lock held
        detail::wake_chain woken;
        std::lock_guard<std::mutex> g(mutex_);
        shut_down_ = true;
        if (immediate) {
            while (!items_.empty()) {
                dropped.push(items_.pop());
                if (unfinished_ > 0 && --unfinished_ == 0) {
                    woken.add_all(joiners_);
                }
            }
        }
        woken.add_all(getters_, detail::wait_node::status::closed);
        woken.add_all(putters_, detail::wait_node::status::closed);
    }

    /// Whether shutdown() was called.
    [[nodiscard]] bool is_shut_down() const {
        std::lock_guard<std::mutex> g(mutex_);
        return shut_down_;
    }

private:
    [[nodiscard]] bool has_room_locked() const noexcept {
        return maxsize_ == 0 || items_.size() < maxsize_;
    }

    // A waiting getter implies an empty queue (an item would have gone to it): hand v over.
    void push_locked(T&& v, detail::wake_chain& woken) {
        if (detail::wait_node* n = getters_.pop_front()) {
            static_cast<std::optional<T>*>(n->data)->emplace(std::move(v));
            woken.add(n);
        } else {
            items_.push(std::move(v));
        }
        ++unfinished_;
    }

    // A waiting putter implies a full queue: the slot this get frees is its own.
    T pop_locked(detail::wake_chain& woken) {
        T v = items_.pop();
        if (detail::wait_node* n = putters_.pop_front()) {
            items_.push(std::move(*static_cast<T*>(n->data)));
            ++unfinished_;
            woken.add(n);
        }
        return v;
    }

    mutable std::mutex mutex_;
    Store items_;
    detail::wait_list getters_;
    detail::wait_list putters_;
    detail::wait_list joiners_;
    std::size_t maxsize_;
    std::size_t unfinished_ = 0;
    bool shut_down_ = false;
};

/// First in, first out (asyncio.Queue).
template <class T>
using queue = basic_queue<T, detail::fifo_store<T>>;

/// Last in, first out (asyncio.LifoQueue).
template <class T>
using lifo_queue = basic_queue<T, detail::lifo_store<T>>;

/// Smallest item first by Compare (asyncio.PriorityQueue: push (priority, value) pairs).
template <class T, class Compare = std::less<T>>
using priority_queue = basic_queue<T, detail::heap_store<T, Compare>>;

} // namespace weft
