#pragma once

// The process pool service (private): one per process, shared by every pool. It owns the lock
// that guards all pool and worker state, and the I/O thread: an epoll set over the worker
// sockets, the fork server's control socket and an eventfd that wakes it. The thread reads what
// workers and the fork server send, hands it to the pools, runs their deadlines and upkeep, and
// completes futures outside the lock (pool.hpp, deliver()).
//
// Locking: every member of service, pool_impl and worker that is not marked otherwise must be
// called with the lock held (lock()). Submitting threads take it too, and write calls to worker
// sockets themselves when a worker has room; the I/O thread sends the rest on EPOLLOUT.

#include "completion.hpp"
#include "fork_link.hpp"
#include "worker.hpp"

#include <sys/epoll.h>
#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace weft::detail::pp {

class pool_impl;

class service {
public:
    /// This process's service, started on first use (anew in a forked child).
    /// @throws invalid_state_error when weft::init was not called; error when epoll fails.
    /// Lock: not held.
    static service& get();

    service(const service&) = delete;
    service& operator=(const service&) = delete;

    /// Takes the lock. Lock: not held.
    [[nodiscard]] std::unique_lock<std::mutex> lock() { return std::unique_lock(m_); }
    /// Waits (lock held by `lock`) until pred() or the deadline; wakes up whenever a worker was
    /// finalised. Returns pred().
    template <class Pred>
    bool wait_for_workers(std::unique_lock<std::mutex>& lock, clock::time_point deadline,
                          Pred pred) {
        return changed_.wait_until(lock, deadline, pred);
    }
    /// Wakes wait_for_workers (a worker was finalised).
    void workers_changed() noexcept { changed_.notify_all(); }

    void add_pool(pool_impl& p) { pools_.push_back(&p); }
    void remove_pool(pool_impl& p) noexcept;

    /// A token for a new worker.
    [[nodiscard]] std::uint64_t new_token() noexcept { return next_token_++; }
    /// Opens w's socket on the epoll set: the I/O thread reads it from now on.
    void watch(worker& w, int fd);
    /// Forgets w (it is being destroyed): no event or record reaches it any more.
    void forget(const worker& w) noexcept;

    /// The fork server.
    [[nodiscard]] fork_link& forks() noexcept { return forks_; }

    /// Wakes the I/O thread (it runs its deadlines and the pools' upkeep). Lock: either.
    void wake() const noexcept;
    /// Wakes the I/O thread when t is before its next wake-up.
    void wake_for(clock::time_point t) const noexcept {
        if (t < next_wake_) {
            wake();
        }
    }

private:
    explicit service(int ctl_fd);

    /// The I/O thread (it ends only if epoll_wait fails). Lock: not held.
    void run();
    /// One round of the I/O thread on n events: reads, upkeep; the time of the next deadline.
    clock::time_point handle(const epoll_event* evs, int n, completions& comps);
    void on_worker_event(std::uint64_t token, std::uint32_t events, completions& comps);
    /// Reads the fork server's records; ends the link once the server is found gone.
    void on_fork_server();
    void on_fork_record(const fs_msg& msg);
    /// The fork server is gone (EOF, an error, or a request that failed): ends the link, once,
    /// and takes the workers not reaped yet for dead (they die with it: PDEATHSIG).
    void fork_server_gone();
    /// Every pool's deadlines; the earliest one left.
    clock::time_point run_deadlines(completions& comps);

    std::mutex m_;
    std::condition_variable changed_; // a worker was finalised (pool destructors wait for it)
    int ep_ = -1;
    int evfd_ = -1;
    fork_link forks_;
    std::uint64_t next_token_ = 16; // epoll tags 0 and 1 are the eventfd and the fork server
    clock::time_point next_wake_ = never;
    std::unordered_map<std::uint64_t, worker*> by_token_;
    std::unordered_map<pid_t, worker*> by_pid_;
    std::vector<pool_impl*> pools_;
};

} // namespace weft::detail::pp
