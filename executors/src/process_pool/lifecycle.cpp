// A process pool's workers from birth to end (see pool.hpp; their states in worker_state.hpp):
// spawning them through the fork server, retiring idle or used-up ones, killing them (SIGTERM,
// then SIGKILL after cancel_grace) for a cancelled or timed-out call, and finalising the gone:
// the call a dead worker was running fails with worker_crashed, the calls queued behind it go
// back to the pool's queue, and a worker that died before it was ready counts toward the breaker
// that stops the pool from starting workers whose initializer keeps failing. A pool also gives up
// starting workers when the fork server is gone; then its calls fail with worker_init_error.

#include "pool.hpp"
#include "service.hpp"

#include <weft/runtime/log.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace weft::detail::pp {

namespace {

/// How a wait status reads in an error message ("was killed by signal 9 (SIGKILL)").
std::string describe_status(int st) {
    if (st == -1) {
        return "could not be started";
    }
    if (WIFSIGNALED(st)) {
        const char* name = ::sigabbrev_np(WTERMSIG(st));
        return "was killed by signal " + std::to_string(WTERMSIG(st)) +
               (name != nullptr ? std::string(" (SIG") + name + ")" : std::string());
    }
    if (WIFEXITED(st)) {
        return "exited with code " + std::to_string(WEXITSTATUS(st));
    }
    return "ended with status " + std::to_string(st);
}

} // namespace

// ---- the pool's own life ------------------------------------------------------------------------

void pool_impl::start() {
    completions comps;
    {
        auto lock = svc_.lock();
        svc_.add_pool(*this);
        maintain(comps);
    }
    deliver(comps);
}

void pool_impl::stop_workers(bool /*wait*/) noexcept {
    completions comps;
    {
        auto lock = svc_.lock();
        stopping_ = true;
        maintain(comps);
    }
    deliver(comps);
}

void pool_impl::close_workers() {
    auto lock = svc_.lock();
    stopping_ = true;
    for (auto& w : workers_) {
        w->on(worker_event::closed);
        w->io().close(); // the worker reads EOF and exits
    }
    svc_.wake();
    const auto all_gone = [&] { return workers_.empty(); };
    if (!svc_.wait_for_workers(lock, clock::now() + std::chrono::seconds(5), all_gone)) {
        for (auto& w : workers_) {
            kill(*w, worker_event::killed);
        }
        svc_.wait_for_workers(lock, clock::now() + std::chrono::seconds(5), all_gone);
    }
    for (auto& w : workers_) {
        svc_.forget(*w);
    }
    workers_.clear();
    svc_.remove_pool(*this);
}

std::vector<int> pool_impl::worker_pids() const {
    auto lock = svc_.lock();
    std::vector<int> pids;
    for (const auto& w : workers_) {
        if (w->pid() != 0 &&
            (w->state() == worker_state::ready || w->state() == worker_state::starting)) {
            pids.push_back(w->pid());
        }
    }
    return pids;
}

std::uint64_t pool_impl::workers_started() const {
    auto lock = svc_.lock();
    return started_;
}

// ---- upkeep -------------------------------------------------------------------------------------

void pool_impl::maintain(completions& comps) {
    if (!broken_ && svc_.forks().dead()) {
        give_up("the fork server that workers are started from is gone (it was killed or "
                "crashed; weft::init starts it once per process), so no worker can be started");
    }
    for (std::size_t i = 0; i < workers_.size();) {
        if (workers_[i]->gone()) {
            finalize(i, comps);
        } else {
            ++i;
        }
    }
    if (broken_) {
        fail_queued(comps); // those queued since it broke, or put back by a worker that died
        return;
    }
    retire_idle();
    keep_size();
    dispatch(comps);
}

void pool_impl::retire_idle() {
    const bool idle_pool = stopping_ && queue_.empty();
    for (auto& w : workers_) {
        const bool up = w->state() == worker_state::ready || w->state() == worker_state::starting;
        if (up && w->idle() && (idle_pool || used_up(*w))) {
            w->on(worker_event::closed);
            w->io().close();
        }
    }
}

void pool_impl::keep_size() {
    if (stopping_ && queue_.empty()) {
        return;
    }
    auto live = static_cast<std::size_t>(std::count_if(
        workers_.begin(), workers_.end(), [](const auto& w) { return is_live(w->state()); }));
    for (; live < target_; ++live) {
        spawn();
    }
}

// ---- birth --------------------------------------------------------------------------------------

void pool_impl::spawn() {
    auto owned = std::make_unique<worker>(*this, svc_.new_token());
    worker& w = *owned;
    workers_.push_back(std::move(owned));
    ++started_;
    int sv[2];
    const bool server_dead = svc_.forks().dead();
    if (server_dead || ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        w.set_start_error(server_dead ? "the fork server is gone"
                                      : std::string("socketpair: ") + std::strerror(errno));
        w.set_reaped(-1);
        return; // finalised by maintain()
    }
    ::fcntl(sv[0], F_SETFL, ::fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    svc_.watch(w, sv[0]);
    svc_.forks().spawn(w.token(), sv[1], opts_.start == process_pool::start_method::spawn);
    ::close(sv[1]);
    w.io().queue(init_frame_);
    w.io().flush();
}

void pool_impl::worker_spawned(worker& w, pid_t pid) {
    w.set_pid(pid);
    w.on(worker_event::spawned);
    if (is_killed(w.state())) {
        send_kill(w); // killed before its pid was known
    }
}

// ---- killing ------------------------------------------------------------------------------------

void pool_impl::kill(worker& w, worker_event why) {
    if (is_killed(w.state())) {
        return;
    }
    w.on(why);
    w.clear_abandoned_deadline();
    if (w.reaped() || w.pid() == 0) {
        return; // gone already, or the kill goes once its pid is known (worker_spawned)
    }
    send_kill(w);
}

void pool_impl::send_kill(worker& w) {
    const auto grace = opts_.cancel_grace;
    int sig = SIGKILL;
    if (grace.count() > 0 && w.sigkill_at() == never) {
        sig = SIGTERM;
        w.set_sigkill_at(clock::now() + grace);
        svc_.wake_for(w.sigkill_at());
    } else {
        w.set_sigkill_at(never);
    }
    svc_.forks().kill(w.pid(), sig);
}

// ---- deadlines ----------------------------------------------------------------------------------

clock::time_point pool_impl::run_deadlines(clock::time_point now, completions& comps) {
    clock::time_point next = never;
    for (auto& w : workers_) {
        next = std::min(next, escalate_kill(*w, now));
        if (!is_killed(w->state()) && !w->idle()) {
            next = std::min(next, check_head(*w, now, comps));
        }
    }
    return next;
}

/// SIGKILL for a worker whose SIGTERM grace ran out; returns when the next one is due.
clock::time_point pool_impl::escalate_kill(worker& w, clock::time_point now) {
    if (w.sigkill_at() == never) {
        return never;
    }
    if (w.reaped()) {
        w.set_sigkill_at(never); // dead already: a deadline left here would be due for ever
        return never;
    }
    if (w.sigkill_at() <= now) {
        w.set_sigkill_at(never);
        svc_.forks().kill(w.pid(), SIGKILL);
        return never;
    }
    return w.sigkill_at();
}

/// Kills the worker of a head call that overstayed (cancelled and not skipped in time, or past
/// call_timeout); returns when the head's next deadline is due.
clock::time_point pool_impl::check_head(worker& w, clock::time_point now, completions& comps) {
    remote_call_rec* head = w.head();
    if (head->abandoned) {
        if (w.abandoned_deadline() > now) {
            return w.abandoned_deadline();
        }
        w.pop_head();
        end_call(head, executor_core::job_end::discarded);
        kill(w, worker_event::killed);
        return never;
    }
    if (opts_.call_timeout.count() <= 0) {
        return never;
    }
    const auto due = w.head_since() + opts_.call_timeout;
    if (due > now) {
        return due;
    }
    w.pop_head();
    head->where = call_finished;
    comps.push_back(
        {completion::error,
         head,
         {},
         std::make_exception_ptr(timeout_error(
             "process_pool '" + std::string(opts_.name) + "': call '" + head->name +
             "' ran longer than call_timeout (" + std::to_string(opts_.call_timeout.count()) +
             " ms); its worker was killed"))});
    kill(w, worker_event::killed);
    return never;
}

// ---- the end ------------------------------------------------------------------------------------

void pool_impl::finalize(std::size_t index, completions& comps) {
    std::unique_ptr<worker> w = std::move(workers_[index]);
    workers_.erase(workers_.begin() + static_cast<std::ptrdiff_t>(index));
    svc_.forget(*w);
    w->io().close();
    // The call it was running (the head of its calls) fails; unless the pool killed it for that
    // call, which was completed then.
    if (!w->idle() && !head_settled(w->state())) {
        fail_head(*w, comps);
    }
    requeue(*w);
    if (is_starting(w->state()) && !broken_) {
        count_start_failure(*w);
    }
    svc_.workers_changed();
}

/// Fails the call a dead worker was running with worker_crashed.
void pool_impl::fail_head(worker& w, completions& comps) {
    remote_call_rec* head = w.pop_head();
    if (head->abandoned) {
        end_call(head, executor_core::job_end::discarded);
        return;
    }
    const int st = w.wait_status();
    std::string msg = "process_pool '" + std::string(opts_.name) + "': the worker (pid " +
                      std::to_string(w.pid()) + ") running '" + head->name + "' " +
                      describe_status(st);
    const bool sig = st != -1 && WIFSIGNALED(st);
    head->where = call_finished;
    comps.push_back(
        {completion::error,
         head,
         {},
         std::make_exception_ptr(worker_crashed(
             msg, w.pid(), sig || st == -1 ? -1 : WEXITSTATUS(st), sig ? WTERMSIG(st) : 0))});
}

/// The calls a dead worker held that never started there go back to the pool's queue, in order.
void pool_impl::requeue(worker& w) {
    std::deque<remote_call_rec*> calls = w.take_calls();
    for (auto it = calls.rbegin(); it != calls.rend(); ++it) {
        remote_call_rec* rec = *it;
        if (rec->abandoned) {
            end_call(rec, executor_core::job_end::cancelled);
        } else {
            rec->where = call_queued;
            rec->worker = nullptr;
            queue_.push_front(rec);
        }
    }
}

/// A worker died before it was ready: after max_init_failures in a row the pool gives up.
void pool_impl::count_start_failure(const worker& w) {
    ++init_failures_;
    const std::string why =
        !w.start_error().empty()
            ? w.start_error()
            : "the worker " + describe_status(w.wait_status()) + " before it was ready";
    log::get("weft.exec")
        .warn("process_pool '{}': a worker failed to start ({} of {} in a row): {}", opts_.name,
              init_failures_, opts_.max_init_failures, why);
    if (init_failures_ < std::max<std::size_t>(1, opts_.max_init_failures)) {
        return;
    }
    give_up("workers failed to start " + std::to_string(init_failures_) +
            " times in a row; the pool stopped starting them. Last failure: " + why);
}

/// Stops starting workers for good: the calls queued (maintain() fails them) and every later call
/// fail with worker_init_error(why).
void pool_impl::give_up(const std::string& why) {
    broken_ = true;
    broken_msg_ = "process_pool '" + std::string(opts_.name) + "': " + why;
    log::get("weft.exec").error("{}", broken_msg_);
}

/// Fails the queued calls of a pool that gave up starting workers.
void pool_impl::fail_queued(completions& comps) {
    while (!queue_.empty()) {
        remote_call_rec* rec = queue_.front();
        queue_.pop_front();
        begin_once(rec);
        rec->where = call_finished;
        comps.push_back(
            {completion::error, rec, {}, std::make_exception_ptr(worker_init_error(broken_msg_))});
    }
}

} // namespace weft::detail::pp
