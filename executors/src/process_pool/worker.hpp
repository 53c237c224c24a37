#pragma once

// One worker process as its pool sees it (private): its state (worker_state.hpp), its pid and
// exit status, its socket (channel.hpp), and the calls sent to it. The pool drives it
// (lifecycle.cpp: spawn, kill, finalize; pool.cpp: calls); the service finds it by token or pid.
// Touched only under the service lock.

#include "channel.hpp"
#include "worker_state.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

namespace weft::detail {

struct remote_call_rec;

namespace pp {

class pool_impl;

using clock = std::chrono::steady_clock;
inline constexpr clock::time_point never = clock::time_point::max();

class worker {
public:
    worker(pool_impl& pool, std::uint64_t token) noexcept : pool_(pool), token_(token) {}
    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;

    [[nodiscard]] pool_impl& pool() const noexcept { return pool_; }
    /// Its tag on the service's epoll set and its name in spawn requests (unique per process).
    [[nodiscard]] std::uint64_t token() const noexcept { return token_; }

    // ---- its life (worker_state.hpp) ------------------------------------------------------------

    [[nodiscard]] worker_state state() const noexcept { return state_; }
    /// Moves it by ev; true when its state changed.
    bool on(worker_event ev) noexcept {
        const worker_state old = state_;
        state_ = next_state(state_, ev);
        return state_ != old;
    }

    /// Its process id; 0 until the fork server reports it.
    [[nodiscard]] pid_t pid() const noexcept { return pid_; }
    void set_pid(pid_t pid) noexcept { pid_ = pid; }

    /// Whether the process is taken for gone: the fork server reaped it, it never started, or the
    /// fork server is gone (its workers die with it). Its socket is then read once more and closed.
    [[nodiscard]] bool reaped() const noexcept { return reaped_; }
    /// Its wait status once reaped; -1 when it could not be started.
    [[nodiscard]] int wait_status() const noexcept { return wait_status_; }
    void set_reaped(int wait_status) noexcept {
        reaped_ = true;
        wait_status_ = wait_status;
    }

    /// Why it failed to start, when it said so (or the spawn failed); else empty.
    [[nodiscard]] const std::string& start_error() const noexcept { return start_error_; }
    void set_start_error(std::string why) { start_error_ = std::move(why); }

    /// When SIGKILL follows the SIGTERM it was sent (cancel_grace); `never` when none is due.
    [[nodiscard]] clock::time_point sigkill_at() const noexcept { return sigkill_at_; }
    void set_sigkill_at(clock::time_point t) noexcept { sigkill_at_ = t; }

    /// Its socket.
    [[nodiscard]] channel& io() noexcept { return io_; }
    [[nodiscard]] const channel& io() const noexcept { return io_; }

    /// Ready to be finalised: its socket is closed and its process reaped.
    [[nodiscard]] bool gone() const noexcept { return !io_.is_open() && reaped_; }

    // ---- the calls sent to it, oldest first
    // ------------------------------------------------------- The head runs (or is about to); the
    // others wait in the worker's own queue.

    [[nodiscard]] bool idle() const noexcept { return calls_.empty(); }
    [[nodiscard]] std::size_t in_flight() const noexcept { return calls_.size(); }
    [[nodiscard]] remote_call_rec* head() const noexcept { return calls_.front(); }
    /// Calls sent to it in its life (max_tasks_per_child).
    [[nodiscard]] std::size_t sent_total() const noexcept { return sent_total_; }
    void push_call(remote_call_rec* rec) {
        calls_.push_back(rec);
        ++sent_total_;
    }
    remote_call_rec* pop_head() noexcept {
        remote_call_rec* rec = calls_.front();
        calls_.pop_front();
        return rec;
    }
    /// Takes every call it holds (when it is finalised).
    [[nodiscard]] std::deque<remote_call_rec*> take_calls() noexcept { return std::move(calls_); }

    /// When the head became the head.
    [[nodiscard]] clock::time_point head_since() const noexcept { return head_since_; }
    /// When the head, cancelled by its awaiter after it was sent, must have been reported skipped
    /// (else the worker is killed); `never` when the head is not such a call.
    [[nodiscard]] clock::time_point abandoned_deadline() const noexcept {
        return abandoned_deadline_;
    }
    void set_head_times(clock::time_point since, clock::time_point abandoned_deadline) noexcept {
        head_since_ = since;
        abandoned_deadline_ = abandoned_deadline;
    }
    void clear_abandoned_deadline() noexcept { abandoned_deadline_ = never; }

private:
    pool_impl& pool_;
    std::uint64_t token_;
    worker_state state_ = worker_state::spawning;
    pid_t pid_ = 0;
    bool reaped_ = false;
    int wait_status_ = 0;
    std::string start_error_;
    clock::time_point sigkill_at_ = never;
    channel io_;
    std::deque<remote_call_rec*> calls_;
    std::size_t sent_total_ = 0;
    clock::time_point head_since_{};
    clock::time_point abandoned_deadline_ = never;
};

} // namespace pp

} // namespace weft::detail
