#pragma once

// drain_model's drainer steps (included by drain_model.hpp, which says what they mirror):
// drainer::operator() (taking, running, lingering, leaving) and drainer::park.

#include "drain_model.hpp"

namespace weft_model {

// ---- drainer::operator(): taking and running calls, lingering ---------------------------------

template <class Emit>
void drain_model::drainer_step(const state& s, int t, Emit& emit) const {
    state n = s;
    rec& r = n.th[t];
    switch (s.th[t].pc) {
    case d_pop: // if (s.queue.try_pop(j))
        switch (try_pop(n, t)) {
        case pop_result::wait:
            return;
        case pop_result::popped:
            r.misses = 0;
            r.pc = d_busy;
            return emit(n, {t, "queue.try_pop: call", "", r.job});
        case pop_result::empty:
            r.pc = d_linger;
            return emit(n, {t, "queue.try_pop: empty"});
        }
        return;
    case d_busy: { // if (s.idle.fetch_sub(1) == 1)
        if (!n.memory.exclusive(t, idle)) {
            return;
        }
        const std::uint8_t old = n.memory.load(t, idle);
        rmw(n, t, idle, -1);
        r.pc = old != 1 || bug(drain_bug::no_helper_start) ? d_run
               : bug(drain_bug::no_pop_fence)              ? d_check
                                                           : d_fence;
        return emit(n, {t, "idle.fetch_sub(1) ->", "", old});
    }
    case d_fence:
        n.memory.fence(t);
        r.pc = d_check;
        return emit(n, {t, "fence"});
    case d_check: { // if (!s.queue.empty()) start_if_room(s_)
        const std::uint8_t q = n.memory.load(t, queued);
        r.pc = q != 0 ? d_take_load : d_run;
        return emit(n, {t, "queue.empty() ->", "", q == 0});
    }
    case d_take_load:
    case d_take_cas:
        return take_slot_step(s, t, d_take_load, d_take_cas, d_idle_inc, d_run, emit);
    case d_idle_inc:
        if (!rmw(n, t, idle, +1)) {
            return;
        }
        r.pc = d_spawn;
        return emit(n, {t, "start_if_room: idle.fetch_add(1)"});
    case d_spawn:
        return spawn_step(s, t, d_run, emit);
    case d_run: // j()
        if (++n.ran[r.job] > 1) {
            n.bad = ran_twice;
        }
        ++n.started;
        if (c_.barrier_jobs) {
            r.pc = d_job_wait;
            return emit(n, {t, "call starts, waits for all calls to start:", "", r.job});
        }
        ++n.ended;
        r.pc = d_pop_more;
        return emit(n, {t, "runs call", "", r.job});
    case d_job_wait:
        if (n.started != total_jobs()) {
            return;
        }
        ++n.ended;
        r.pc = d_pop_more;
        return emit(n, {t, "call returns:", "", r.job});
    case d_pop_more: // } while (s.queue.try_pop(j));
        switch (try_pop(n, t)) {
        case pop_result::wait:
            return;
        case pop_result::popped:
            r.pc = d_run;
            return emit(n, {t, "queue.try_pop: call", "", r.job});
        case pop_result::empty:
            r.pc = d_idle_back;
            return emit(n, {t, "queue.try_pop: empty"});
        }
        return;
    case d_idle_back: // s.idle.fetch_add(1); continue
        if (!rmw(n, t, idle, +1)) {
            return;
        }
        r.pc = d_pop;
        return emit(n, {t, "idle.fetch_add(1)"});
    case d_linger: // misses < max_misses && yield_until(!empty) ? ++misses, continue : park
        if (r.misses < c_.max_misses && n.memory.load(t, queued) != 0) {
            state seen = n;
            ++seen.th[t].misses;
            seen.th[t].pc = d_pop;
            emit(seen, {t, "linger: sees a call"});
        }
        r.pc = p_lock;
        return emit(n, {t, "linger: gives up"});
    default:
        return;
    }
}

// ---- drainer::park ---------------------------------------------------------------------------

template <class Emit>
void drain_model::park_step(const state& s, int t, Emit& emit) const {
    state n = s;
    rec& r = n.th[t];
    auto pred = [&] { // s.closing || !s.queue.empty()
        return n.memory.load(t, closing) != 0 || n.memory.load(t, queued) != 0;
    };
    switch (s.th[t].pc) {
    case p_lock:
    case p_woken: // wait_for relocks after a notify, then checks the predicate again
        if (!n.memory.try_lock(t, park_mtx, c_.weak)) {
            return;
        }
        r.pc = s.th[t].pc == p_lock ? p_check : p_pred;
        return emit(n, {t, "lock park_mtx"});
    case p_check: { // if (s.parked.load(relaxed) != 0) return false
        const std::uint8_t v = n.memory.load(t, parked);
        r.pc = v != 0 ? p_unlock_full : p_inc;
        return emit(n, {t, "parked.load ->", "", v});
    }
    case p_unlock_full:
        n.memory.unlock(t, park_mtx, c_.weak);
        r.pc = l_idle_dec;
        return emit(n, {t, "unlock park_mtx: another drainer is parked"});
    case p_inc:
        if (!rmw(n, t, parked, +1)) {
            return;
        }
        r.pc = bug(drain_bug::no_park_fence) ? p_pred : p_fence;
        return emit(n, {t, "parked.fetch_add(1)"});
    case p_fence:
        n.memory.fence(t);
        if (bug(drain_bug::park_without_recheck)) {
            n.memory.unlock(t, park_mtx, c_.weak);
            r.pc = p_waiting;
            return emit(n, {t, "fence; park_cv.wait (no re-check)"});
        }
        r.pc = p_pred;
        return emit(n, {t, "fence"});
    case p_pred: // wait_for(lock, park_time, pred): checks pred, then sleeps
        if (pred()) {
            r.woken = 1;
            r.pc = p_dec;
            return emit(n, {t, "park: predicate holds, no sleep"});
        }
        r.pc = p_sleep;
        return emit(n, {t, "park: predicate false"});
    case p_sleep: // the condition_variable unlocks and sleeps as one step
        n.memory.unlock(t, park_mtx, c_.weak);
        r.pc = p_waiting;
        return emit(n, {t, "park_cv.wait: unlocks park_mtx, sleeps"});
    case p_waiting: // only a notify wakes it, unless the 50 ms timeout is modelled
        if (c_.park_timeout) {
            r.pc = p_timed_out;
            emit(n, {t, "park_cv.wait_for times out"});
        }
        return;
    case p_timed_out: // relock, return pred()
        if (!n.memory.try_lock(t, park_mtx, c_.weak)) {
            return;
        }
        r.woken = pred() ? 1 : 0;
        r.pc = p_dec;
        return emit(n, {t, "lock park_mtx, predicate ->", "", r.woken});
    case p_dec:
        if (!rmw(n, t, parked, -1)) {
            return;
        }
        r.pc = p_ret;
        return emit(n, {t, "parked.fetch_sub(1)"});
    case p_ret: { // return woken && !s.closing; (then unlock)
        const bool go_on = r.woken != 0 && n.memory.load(t, closing) == 0;
        r.woken = 0;
        n.memory.unlock(t, park_mtx, c_.weak);
        r.pc = go_on ? d_pop : l_idle_dec;
        return emit(n, {t, go_on ? "park returns true, unlock" : "park returns false, unlock"});
    }
    default:
        return;
    }
}

// ---- drainer::operator(): leaving, unless a call came after the last look
// ------------------------

template <class Emit>
void drain_model::leave_step(const state& s, int t, Emit& emit) const {
    state n = s;
    rec& r = n.th[t];
    switch (s.th[t].pc) {
    case l_idle_dec:
        if (!rmw(n, t, idle, -1)) {
            return;
        }
        r.pc = l_alive_dec;
        return emit(n, {t, "leaving: idle.fetch_sub(1)"});
    case l_alive_dec:
        if (!rmw(n, t, alive, -1)) {
            return;
        }
        r.pc = bug(drain_bug::no_leave_fence) ? l_check : l_fence;
        return emit(n, {t, "leaving: alive.fetch_sub(1)"});
    case l_fence:
        n.memory.fence(t);
        r.pc = l_check;
        return emit(n, {t, "fence"});
    case l_check: { // if (s.queue.empty()) return;
        const std::uint8_t q = n.memory.load(t, queued);
        r.pc = q == 0 || bug(drain_bug::no_leave_recheck) ? exited : l_take_load;
        return emit(n, {t, r.pc == exited ? "leaves (queue.empty() -> 1, or not looked at)"
                                          : "queue.empty() -> 0: stays"});
    }
    case l_take_load:
    case l_take_cas:
        return take_slot_step(s, t, l_take_load, l_take_cas, l_idle_inc, exited, emit);
    case l_idle_inc:
        if (!rmw(n, t, idle, +1)) {
            return;
        }
        r.pc = d_pop;
        return emit(n, {t, "stays: idle.fetch_add(1)"});
    default:
        return;
    }
}

} // namespace weft_model
