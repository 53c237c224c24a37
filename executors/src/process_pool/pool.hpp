#pragma once

// One process pool's state (private): its options, its workers, and the calls waiting for one.
// Its code is in three files, one job each:
//   pool.cpp       calls: submitting, sending to workers, their replies, cancellation
//   lifecycle.cpp  workers: spawning, killing, deadlines, finalising (crash reports, requeueing,
//                  the breaker that stops starting workers whose initializer keeps failing)
//   process_pool.cpp  the public class over it
//
// A call's place (remote_call_rec::where, a call_place) moves new -> queued -> sent -> finished
// -> gone; a call sent to a worker that dies before starting it goes back to queued.
//
// Lock: every member not marked otherwise needs the service lock (service.hpp).

#include "completion.hpp"
#include "protocol.hpp"
#include "worker.hpp"

#include <weft/executors/process_pool.hpp>

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace weft::detail::pp {

class service;

/// Where a call is (remote_call_rec::where).
enum call_place : int {
    call_new = 0,  ///< being submitted
    call_queued,   ///< in the pool's queue
    call_sent,     ///< in a worker's calls (remote_call_rec::worker)
    call_finished, ///< its outcome is on its way to the awaiter (completion.hpp)
    call_gone,     ///< accounted for (end_call); only the references are left
};

/// Ends rec's accounting (how it ended) and drops the pool's reference to it.
void end_call(remote_call_rec* rec, executor_core::job_end how) noexcept;

class pool_impl final : public executor_core {
public:
    /// Lock: not held.
    pool_impl(process_pool::options o, service& s);

    [[nodiscard]] std::size_t max_workers() const noexcept override { return target_; }
    /// Lock: either.
    [[nodiscard]] service& svc() const noexcept { return svc_; }

    // ---- for the public class (process_pool.cpp); lock: not held -------------------------------
    /// Joins the service and starts the workers.
    void start();
    /// Queues rec and sends it when a worker has room.
    /// @throws message_too_large, executor_shut_down, worker_init_error.
    void submit(std::unique_ptr<remote_call_rec> rec);
    /// Cancels every call still queued (shutdown(cancel_pending)).
    void cancel_queued();
    /// Closes every worker and waits (bounded) for them to exit, then leaves the service.
    void close_workers();
    [[nodiscard]] std::vector<int> worker_pids() const;
    [[nodiscard]] std::uint64_t workers_started() const;

    // ---- for the service's I/O thread -----------------------------------------------------------
    /// Reads what w sent and handles its frames.
    void read(worker& w, completions& comps);
    /// Reads what the workers reaped with their socket still open left behind, then closes it.
    void read_reaped(completions& comps);
    /// The fork server started w as pid.
    void worker_spawned(worker& w, pid_t pid);
    /// Finalises gone workers, retires idle ones, keeps the pool at its size, sends calls.
    void maintain(completions& comps);
    /// Enforces the deadlines due at now; returns the earliest one left (or never).
    clock::time_point run_deadlines(clock::time_point now, completions& comps);

    // ---- for the awaiter's cancellation hook (pool.cpp) ---------------------------------------
    /// The awaiter of rec cancelled it. Lock: not held.
    void cancelled_by_awaiter(remote_call_rec* rec);

protected:
    bool enqueue(job& /*j*/, bool /*wait_for_room*/) override { return true; }
    void stop_workers(bool wait) noexcept override;

private:
    // calls (pool.cpp)
    void dispatch(completions& comps);
    [[nodiscard]] worker* least_loaded_with_room() const noexcept;
    [[nodiscard]] bool any_starting() const noexcept;
    void send(worker& w, remote_call_rec* rec);
    void new_head(worker& w);
    void on_frame(worker& w, const frame& f, completions& comps);
    void on_reply(worker& w, const frame& f, completions& comps);
    void cancel(remote_call_rec* rec);
    void begin_once(remote_call_rec* rec) noexcept;

    // workers (lifecycle.cpp)
    void spawn();
    void kill(worker& w, worker_event why);
    void send_kill(worker& w);
    void retire_idle();
    void keep_size();
    void finalize(std::size_t index, completions& comps);
    void fail_head(worker& w, completions& comps);
    void requeue(worker& w);
    void count_start_failure(const worker& w);
    void give_up(const std::string& why);
    void fail_queued(completions& comps);
    clock::time_point escalate_kill(worker& w, clock::time_point now);
    clock::time_point check_head(worker& w, clock::time_point now, completions& comps);
    /// Ran max_tasks_per_child calls: takes no more, and retires once idle.
    [[nodiscard]] bool used_up(const worker& w) const noexcept {
        return opts_.max_tasks_per_child != 0 && w.sent_total() >= opts_.max_tasks_per_child;
    }

    process_pool::options opts_;
    service& svc_;
    std::size_t target_;     // workers it keeps
    std::string init_frame_; // the first frame every worker gets
    std::vector<std::unique_ptr<worker>> workers_;
    std::deque<remote_call_rec*> queue_; // calls waiting for a worker (call_queued)
    std::size_t init_failures_ = 0;      // workers that failed to start, in a row
    bool broken_ = false; // gave up starting workers (init_failures_ reached max_init_failures, or
                          // the fork server is gone): calls fail with worker_init_error
    std::string broken_msg_;
    bool stopping_ =
        false; // shutting down: idle workers retire, none is replaced unless calls wait
    std::uint64_t started_ = 0; // workers started, replacements included
};

} // namespace weft::detail::pp
