#pragma once

// A model of how shutdown(wait) learns that the last call ended, and of a submit racing it
// (test-only), for the explorer in explorer.hpp. Each step below is one atomic action of the real
// code, in the real order; keep them in step with:
//
//   executors/src/executor_core.cpp
//     executor_core::end_job    worker: w_load .. w_unlock (waiting_, the ended counters, mtx_,
//                               idle_cv_)
//     executor_core::shutdown   shutdown: h_xchg .. h_return (shut_down_, waiting_, the sums,
//                               idle_cv_.wait_for with its 1 ms re-check)
//     executor_core::accept,    submitter: a_check .. a_enqueue (check_open, then
//     count_submitted           `submitted` and the re-check of shut_down_)
//
// The hand-offs it checks:
//   1. A worker ending a call reads waiting_; once shutdown(wait) waits (waiting_ set under mtx_),
//      the count goes up under mtx_ with a notify, so that shutdown, which checks under the same
//      mutex, cannot see the last call end, return, and let the executor be freed while that
//      worker still touches it. A worker that read waiting_ just before it was set counts
//      without a notify: shutdown's 1 ms re-check finds it (the wait may time out at any step).
//   2. A submit racing shutdown: it either throws executor_shut_down, or shutdown(wait) waits for
//      its call. accept() raises `submitted` and then looks at shut_down_ again; shutdown sets
//      shut_down_ before it sums `submitted` (all seq_cst, so the model drains the store buffer
//      before those loads): one of them sees the other. Without the re-check (the
//      accept_without_recheck variant, the code before it was added) a submit could return a
//      future that nobody waits for; with thread_pool, nobody ever runs it.
// Checked: no worker touches the executor after shutdown(wait) returned, every accepted call
// ended before it returned, and shutdown always can return (once it returned, `returned`, the
// owner may free the executor).
//
// `bug` selects a deliberately broken variant; each one must make the explorer fail.

#include "explorer.hpp"
#include "store_buffers.hpp"

#include <array>
#include <cstdint>
#include <string>

namespace weft_model {

enum class shutdown_bug : std::uint8_t {
    none,
    notify_after_unlock,    ///< end_job notifies after releasing mtx_
    count_before_check,     ///< end_job counts the call, then reads waiting_
    untimed_wait,           ///< shutdown waits on idle_cv_ without its 1 ms re-check
    accept_without_recheck, ///< accept() does not look at shut_down_ after raising `submitted`
};

struct shutdown_config {
    int running = 2;            ///< calls running when shutdown begins, 0 to 2
    bool racing_submit = false; ///< a submit from another thread races shutdown
    bool weak = true;
    shutdown_bug bug = shutdown_bug::none;
};

class shutdown_model {
public:
    static constexpr int max_running = 2;
    static constexpr int late_worker = max_running; ///< runs the racing submit's call
    static constexpr int submitter = max_running + 1;
    static constexpr int closer = max_running + 2; ///< the thread in shutdown(wait)
    static constexpr int threads = max_running + 3;

    /// ended_0.. are the `ended` counter shards, one per worker.
    enum var : std::uint8_t { mtx, waiting, shut_down, submitted, ended_0, var_count = 7 };

    // clang-format off
    enum pc : std::uint8_t {
        exited,
        w_queued, w_load, w_add, w_lock, w_add_locked, w_notify, w_unlock,           // end_job
        a_check, a_inc, a_recheck, a_undo, a_enqueue,                                // accept
        h_xchg, h_lock, h_wstore, h_sum_sub, h_sum_end, h_sleep, h_waiting, h_woken, // shutdown
        h_unlock, h_return,
    };
    // clang-format on

    enum bad_kind : std::uint8_t { fine, after_return, not_waited_for };

    struct thread_rec {
        std::uint8_t pc = exited;
        std::uint8_t sub = 0; ///< closer: `submitted` as summed
        std::uint8_t acc = 0; ///< closer: `ended` summed so far
        std::uint8_t k = 0;   ///< closer: next shard to read
    };

    struct state {
        store_buffers<var_count, threads, 3> memory;
        std::array<thread_rec, threads> th;
        std::uint8_t accepted = 0; ///< the racing submit returned its future
        std::uint8_t returned = 0; ///< shutdown(wait) returned: the executor may be freed
        std::uint8_t bad = fine;
    };

    explicit shutdown_model(shutdown_config c) : c_(c) {}

    [[nodiscard]] state initial() const {
        state s;
        for (int w = 0; w < c_.running; ++w) {
            s.th[w].pc = bug(shutdown_bug::count_before_check) ? w_add : w_load;
        }
        s.memory.mem[submitted] = static_cast<std::uint8_t>(c_.running);
        if (c_.racing_submit) {
            s.th[late_worker].pc = w_queued;
            s.th[submitter].pc = a_check;
        }
        s.th[closer].pc = h_xchg;
        return s;
    }

    template <class Emit>
    void successors(const state& s, Emit&& emit) const {
        for (int w = 0; w <= late_worker; ++w) {
            worker_step(s, w, emit);
        }
        submitter_step(s, emit);
        closer_step(s, emit);
        if (c_.weak) {
            emit_flushes(s, emit, var_names());
        }
    }

    [[nodiscard]] const char* violation(const state& s) const {
        switch (s.bad) {
        case after_return:
            return "a worker touched the executor after shutdown(wait) returned";
        case not_waited_for:
            return "shutdown(wait) returned before a call it accepted ended";
        default:
            return nullptr;
        }
    }

    [[nodiscard]] bool finished(const state& s) const {
        for (const thread_rec& r : s.th) {
            if (r.pc != exited && r.pc != w_queued) { // a call never accepted never runs
                return false;
            }
        }
        return true;
    }

    [[nodiscard]] std::string thread_name(int t) const {
        return t == closer        ? "shutdown"
               : t == submitter   ? "submitter"
               : t == late_worker ? "worker (submitter's call)"
                                  : "worker " + std::to_string(t);
    }

    [[nodiscard]] std::string describe(const state& s) const {
        std::string out;
        for (int x = 0; x < var_count; ++x) {
            out += std::string(var_names()[x]) + "=" + std::to_string(s.memory.latest(x)) + " ";
        }
        return out + "returned=" + std::to_string(s.returned);
    }

private:
    template <class Emit>
    void worker_step(const state& s, int w, Emit& emit) const;
    template <class Emit>
    void submitter_step(const state& s, Emit& emit) const;
    template <class Emit>
    void closer_step(const state& s, Emit& emit) const;

    bool rmw(state& n, int t, int x, int d) const {
        if (!n.memory.exclusive(t, x)) {
            return false;
        }
        n.memory.store(t, x, static_cast<std::uint8_t>(n.memory.load(t, x) + d), c_.weak);
        return true;
    }
    [[nodiscard]] bool bug(shutdown_bug b) const noexcept { return c_.bug == b; }
    static const std::array<const char*, var_count>& var_names() {
        static const std::array<const char*, var_count> names{
            "mtx", "waiting", "shut_down", "submitted", "ended[0]", "ended[1]", "ended[2]"};
        return names;
    }

    shutdown_config c_;
};

// ---- worker: end_job, the last thing a call does -----------------------------------------------

template <class Emit>
void shutdown_model::worker_step(const state& s, int w, Emit& emit) const {
    state n = s;
    thread_rec& r = n.th[w];
    if (s.th[w].pc != exited && s.th[w].pc != w_queued && s.returned != 0) {
        n.bad = after_return;
    }
    const int shard = ended_0 + w;
    switch (s.th[w].pc) {
    case w_queued: // the racing submit's call runs once accepted
        if (s.accepted == 0) {
            return;
        }
        r.pc = bug(shutdown_bug::count_before_check) ? w_add : w_load;
        return emit(n, {w, "runs the call"});
    case w_load: { // if (waiting_.load(seq_cst))
        const std::uint8_t v = n.memory.load(w, waiting);
        r.pc = v != 0 ? w_lock : bug(shutdown_bug::count_before_check) ? exited : w_add;
        return emit(n, {w, "waiting_.load ->", "", v});
    }
    case w_add: // counter.fetch_add(1): the call's last touch of the executor
        if (!rmw(n, w, shard, +1)) {
            return;
        }
        r.pc = bug(shutdown_bug::count_before_check) ? w_load : exited;
        return emit(n, {w, "ended.fetch_add(1)"});
    case w_lock:
        if (!n.memory.try_lock(w, mtx, c_.weak)) {
            return;
        }
        r.pc = bug(shutdown_bug::count_before_check) ? w_notify : w_add_locked;
        return emit(n, {w, "lock mtx_"});
    case w_add_locked:
        if (!rmw(n, w, shard, +1)) {
            return;
        }
        r.pc = bug(shutdown_bug::notify_after_unlock) ? w_unlock : w_notify;
        return emit(n, {w, "ended.fetch_add(1) under mtx_"});
    case w_notify: // idle_cv_.notify_all()
        if (s.th[closer].pc == h_waiting) {
            n.th[closer].pc = h_woken;
        }
        r.pc = bug(shutdown_bug::notify_after_unlock) ? exited : w_unlock;
        return emit(n, {w, "idle_cv_.notify_all"});
    case w_unlock:
        n.memory.unlock(w, mtx, c_.weak);
        r.pc = bug(shutdown_bug::notify_after_unlock) ? w_notify : exited;
        return emit(n, {w, "unlock mtx_"});
    default:
        return;
    }
}

// ---- submitter: executor_core::accept from a thread racing shutdown ----------------------------

template <class Emit>
void shutdown_model::submitter_step(const state& s, Emit& emit) const {
    const int t = submitter;
    state n = s;
    thread_rec& r = n.th[t];
    switch (s.th[t].pc) {
    case a_check: { // check_open(): shut_down_.load(acquire)
        const std::uint8_t v = n.memory.load(t, shut_down);
        r.pc = v != 0 ? exited : a_inc;
        return emit(n, {t, v != 0 ? "shut_down_ -> 1: throws" : "shut_down_.load -> 0"});
    }
    case a_inc: // submitted.fetch_add(1, seq_cst)
        if (!rmw(n, t, submitted, +1)) {
            return;
        }
        r.pc = bug(shutdown_bug::accept_without_recheck) ? a_enqueue : a_recheck;
        return emit(n, {t, "submitted.fetch_add(1)"});
    case a_recheck: { // shut_down_.load(seq_cst) after the seq_cst increment
        const std::uint8_t v = n.memory.load_after_seq_cst(t, shut_down);
        r.pc = v != 0 ? a_undo : a_enqueue;
        return emit(n, {t, "shut_down_.load(seq_cst) ->", "", v});
    }
    case a_undo: // submitted.fetch_sub(1); throw executor_shut_down
        if (!rmw(n, t, submitted, -1)) {
            return;
        }
        r.pc = exited;
        return emit(n, {t, "submitted.fetch_sub(1), throws executor_shut_down"});
    case a_enqueue: // enqueue(j): accepted, submit() returns its future
        n.accepted = 1;
        if (n.returned != 0) {
            n.bad = not_waited_for;
        }
        r.pc = exited;
        return emit(n, {t, "enqueue: call accepted"});
    default:
        return;
    }
}

// ---- the thread in shutdown(wait = true) -------------------------------------------------------

template <class Emit>
void shutdown_model::closer_step(const state& s, Emit& emit) const {
    const int t = closer;
    state n = s;
    thread_rec& r = n.th[t];
    const int shards = late_worker + 1;
    switch (s.th[t].pc) {
    case h_xchg: // shut_down_.exchange(true, seq_cst)
        if (!n.memory.exclusive(t, shut_down)) {
            return;
        }
        n.memory.store(t, shut_down, 1, c_.weak);
        r.pc = h_lock;
        return emit(n, {t, "shut_down_.exchange(true)"});
    case h_lock:
    case h_woken: // wait_for relocks on a notify or when its 1 ms is up
        if (!n.memory.try_lock(t, mtx, c_.weak)) {
            return;
        }
        r.pc = s.th[t].pc == h_lock ? h_wstore : h_sum_sub;
        return emit(n, {t, "lock mtx_"});
    case h_wstore: // waiting_.store(true, seq_cst)
        if (!n.memory.exclusive(t, waiting)) {
            return;
        }
        n.memory.store(t, waiting, 1, c_.weak);
        r.pc = h_sum_sub;
        return emit(n, {t, "waiting_.store(true)"});
    case h_sum_sub: // is_idle(): sum(submitted) first (seq_cst loads)
        r.sub = n.memory.load_after_seq_cst(t, submitted);
        r.acc = 0;
        r.k = 0;
        r.pc = h_sum_end;
        return emit(n, {t, "sum(submitted) ->", "", r.sub});
    case h_sum_end: // then ended(), one shard at a time
        r.acc = static_cast<std::uint8_t>(r.acc + n.memory.load_after_seq_cst(t, ended_0 + r.k));
        if (++r.k < shards) {
            return emit(n, {t, "reads an ended shard, sum so far", "", r.acc});
        }
        r.pc = r.acc >= r.sub ? h_unlock : h_sleep;
        return emit(n, {t, "ended() ->", "", r.acc});
    case h_sleep: // idle_cv_.wait_for(lock, 1 ms): unlocks and sleeps as one step
        n.memory.unlock(t, mtx, c_.weak);
        r.pc = h_waiting;
        return emit(n, {t, "idle_cv_.wait_for: unlocks mtx_, sleeps"});
    case h_waiting: // woken by a notify (worker_step), or its 1 ms is up
        if (!bug(shutdown_bug::untimed_wait)) {
            r.pc = h_woken;
            emit(n, {t, "idle_cv_.wait_for: 1 ms passed"});
        }
        return;
    case h_unlock:
        n.memory.unlock(t, mtx, c_.weak);
        r.pc = h_return;
        return emit(n, {t, "unlock mtx_"});
    case h_return: // stop_workers (a no-op for tbb_pool), return: the owner may free it now
        n.returned = 1;
        if (n.accepted != 0 && n.th[late_worker].pc != exited) {
            n.bad = not_waited_for;
        }
        r.pc = exited;
        return emit(n, {t, "shutdown(wait) returns"});
    default:
        return;
    }
}

} // namespace weft_model
