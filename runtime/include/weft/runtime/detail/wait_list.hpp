#pragma once

// The waiter lists behind weft's synchronisation primitives (event, lock, semaphore, condition,
// barrier, queues).
//
// Concurrency protocol, shared by every primitive:
// - A primitive guards its state and its wait lists with one std::mutex. Anything that runs under
//   it is short and never resumes a coroutine: wake-ups are collected in a wake_chain and issued
//   after the mutex is released, each on the waiter's own loop (resume_on).
// - A waiter's node lives in its awaiter, inside the suspended coroutine frame (no allocation). The
//   node's status moves once, under the mutex, from `waiting` to a final status; whoever makes that
//   move (a waker on any thread, or the cancel hook on the waiter's home loop) also unlinks the
//   node and is the only one who may resume the coroutine. So a node is resumed exactly once, and
//   no wake-up is lost: a hook that finds its node already woken returns false (the waiter keeps
//   what it was given, and the cancellation stays pending for the task's next suspension point).
// - Once a node is woken its coroutine may run (and its frame vanish) as soon as resume_on is
//   called: read what you need from it before.

#include <weft/runtime/detail/cancel_state.hpp>
#include <weft/runtime/detail/loop_ops.hpp>
#include <weft/runtime/task.hpp>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace weft::detail {

/// One suspended waiter of a primitive: an intrusive list node embedded in its awaiter.
struct wait_node {
    /// How the wait ended; moves from `waiting` once, under the primitive's mutex.
    enum class status : std::uint8_t {
        waiting,   ///< in its list
        woken,     ///< got what it waited for (a permit, the lock, an item, a notification)
        cancelled, ///< left its list by cancellation
        closed,    ///< woken with an error (queue shut down, barrier broken)
    };

    wait_node* prev = nullptr;
    wait_node* next = nullptr;
    std::coroutine_handle<> h;
    loop* home = nullptr;
    /// What the waiter brings or expects, for its primitive (a queue's item slot).
    void* data = nullptr;
    status st = status::waiting;
};

/// A FIFO of waiters (intrusive, doubly linked). Not thread-safe: its owner's mutex guards it.
class wait_list {
public:
    wait_list() noexcept = default;
    wait_list(const wait_list&) = delete;
    wait_list& operator=(const wait_list&) = delete;

    /// Whether nobody waits.
    [[nodiscard]] bool empty() const noexcept { return head_ == nullptr; }
    /// How many wait.
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    /// The longest waiter, or null.
    [[nodiscard]] wait_node* front() const noexcept { return head_; }

    /// Appends n.
    void push_back(wait_node* n) noexcept;
    /// Unlinks and returns the longest waiter, or null.
    wait_node* pop_front() noexcept;
    /// Unlinks n, which must be in this list.
    void remove(wait_node* n) noexcept;

private:
    wait_node* head_ = nullptr;
    wait_node* tail_ = nullptr;
    std::size_t size_ = 0;
};

/// Waiters to resume once the primitive's mutex is released. Declare it BEFORE the lock guard, so
/// that the guard unlocks first and the chain then resumes each waiter on its loop, in order.
class wake_chain {
public:
    wake_chain() noexcept = default;
    wake_chain(const wake_chain&) = delete;
    wake_chain& operator=(const wake_chain&) = delete;
    ~wake_chain() { wake(); }

    /// Marks n (already unlinked, under the mutex) with status s and queues it for resumption.
    void add(wait_node* n, wait_node::status s = wait_node::status::woken) noexcept;
    /// Moves every waiter of l here with status s.
    void add_all(wait_list& l, wait_node::status s = wait_node::status::woken) noexcept;
    /// Resumes the queued waiters now (the mutex must not be held).
    void wake() noexcept;

private:
    wait_node* head_ = nullptr;
    wait_node* tail_ = nullptr;
};

/// The suspending half of every primitive's awaiter: enqueues its node, installs the cancel hook,
/// and turns a cancellation into cancelled_error at await_resume.
class wait_base {
public:
    /// Moves an awaiter that was not awaited yet (for wrappers such as wait_for).
    wait_base(wait_base&& o) noexcept
        : on_leave_locked_(o.on_leave_locked_), mutex_(o.mutex_), list_(o.list_) {}
    wait_base& operator=(const wait_base&) = delete;

protected:
    wait_base(std::mutex& m, wait_list& l) noexcept : mutex_(&m), list_(&l) {}
    ~wait_base() = default;

    /// Called with mutex_ held, after the fast path failed: consumes a pending cancellation (then
    /// returns false with status cancelled) or enqueues the node and returns true.
    /// @throws invalid_state_error outside a weft loop.
    template <class P>
    bool enqueue_locked(std::coroutine_handle<P> h) {
        slot_ = cancel_slot_of(h);
        if (slot_ != nullptr && slot_->consume()) {
            node_.st = wait_node::status::cancelled;
            return false;
        }
        node_.home = require_loop();
        node_.h = h;
        list_->push_back(&node_);
        if (slot_ != nullptr) {
            // Hooks run on this loop's thread, which is busy here until we return: the hook cannot
            // run before the node is fully set up.
            slot_->set_hook(&on_cancel, this);
        }
        return true;
    }

    /// Puts a node that was taken out of its list back into list_ (which may have changed), with
    /// mutex_ held, on the waiter's home loop: consumes a cancellation that came meanwhile (then
    /// returns false with status cancelled) or links the node and reinstalls the cancel hook.
    bool requeue_locked() noexcept {
        if (slot_ != nullptr && slot_->consume()) {
            node_.st = wait_node::status::cancelled;
            return false;
        }
        node_.st = wait_node::status::waiting;
        list_->push_back(&node_);
        if (slot_ != nullptr) {
            slot_->set_hook(&on_cancel, this);
        }
        return true;
    }

    /// For await_resume: drops the hook; throws cancelled_error when the wait was cancelled.
    void finish_wait(const char* what) const;

    /// Called under mutex_ when the cancel hook unlinks the node (a barrier uncounts its waiter).
    void (*on_leave_locked_)(wait_base*) noexcept = nullptr;

    wait_node node_;
    std::mutex* mutex_;
    wait_list* list_;
    cancel_state* slot_ = nullptr;

private:
    static loop* require_loop();
    static bool on_cancel(void* self) noexcept;
};

} // namespace weft::detail
