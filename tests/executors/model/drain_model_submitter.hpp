#pragma once

// drain_model's submitter, owner and shared steps (included by drain_model.hpp, which says what
// they mirror): tbb_pool_core::enqueue, drain_state::wake_parked, ~tbb_pool_core,
// drainer::take_slot and drainer::start_if_room.

#include "drain_model.hpp"

namespace weft_model {

// ---- submitter: tbb_pool_core::enqueue and drain_state::wake_parked --------------------------

template <class Emit>
void drain_model::submitter_step(const state& s, int t, Emit& emit) const {
    state n = s;
    rec& r = n.th[t];
    switch (s.th[t].pc) {
    case s_early_read: // bug: `idle` read before the push
        r.a = n.memory.load(t, idle);
        r.pc = s_push;
        return emit(n, {t, "idle.load ->", "", r.a});
    case s_push: // drain_->queue.push(j)
        if (!rmw(n, t, queued, +1)) {
            return;
        }
        ++n.pushed;
        --r.left;
        r.pc = bug(drain_bug::idle_read_before_push) ? after_idle_read(r, r.a)
               : bug(drain_bug::no_submit_fence)     ? s_read_idle
                                                     : s_fence;
        return emit(n, {t, "queue.push: call", "", n.pushed - 1});
    case s_fence: // atomic_thread_fence(seq_cst)
        n.memory.fence(t);
        r.pc = s_read_idle;
        return emit(n, {t, "fence"});
    case s_read_idle: { // if (drain_->idle.load(relaxed) == 0)
        const std::uint8_t v = n.memory.load(t, idle);
        r.pc = after_idle_read(r, v);
        return emit(n, {t, "idle.load ->", "", v});
    }
    case s_take_load:
    case s_take_cas:
        return take_slot_step(s, t, s_take_load, s_take_cas, s_idle_inc, submitted_one(r), emit);
    case s_idle_inc: // start_if_room: idle.fetch_add(1)
        if (!rmw(n, t, idle, +1)) {
            return;
        }
        r.pc = s_spawn;
        return emit(n, {t, "idle.fetch_add(1)"});
    case s_spawn:
        return spawn_step(s, t, submitted_one(r), emit);
    case s_read_parked: { // wake_parked: if (parked.load() != 0)
        const std::uint8_t v = n.memory.load(t, parked);
        r.pc = v == 0 ? submitted_one(r) : bug(drain_bug::no_wake_lock) ? s_notify : s_lock;
        return emit(n, {t, "parked.load ->", "", v});
    }
    case s_lock: // { std::lock_guard lock(park_mtx); }
        if (!n.memory.try_lock(t, park_mtx, c_.weak)) {
            return;
        }
        r.pc = s_unlock;
        return emit(n, {t, "lock park_mtx"});
    case s_unlock:
        n.memory.unlock(t, park_mtx, c_.weak);
        r.pc = s_notify;
        return emit(n, {t, "unlock park_mtx"});
    case s_notify: // park_cv.notify_one()
        return notify_step(s, t, false, submitted_one(r), emit);
    default:
        return;
    }
}

// ---- owner: ~tbb_pool_core, once shutdown(wait) saw every call end ----------------------------

template <class Emit>
void drain_model::owner_step(const state& s, Emit& emit) const {
    const int t = owner();
    state n = s;
    rec& r = n.th[t];
    switch (s.th[t].pc) {
    case o_wait:
        for (int i = 0; i < c_.submitters; ++i) {
            if (s.th[i].pc != exited) {
                return;
            }
        }
        if (s.ended != total_jobs()) {
            return;
        }
        r.pc = o_lock;
        return emit(n, {t, "shutdown(wait) returns: every call ended"});
    case o_lock:
        if (!n.memory.try_lock(t, park_mtx, c_.weak)) {
            return;
        }
        r.pc = o_set;
        return emit(n, {t, "lock park_mtx"});
    case o_set:
        if (!n.memory.exclusive(t, closing)) {
            return;
        }
        n.memory.store(t, closing, 1, c_.weak);
        r.pc = o_unlock;
        return emit(n, {t, "closing = true"});
    case o_unlock:
        n.memory.unlock(t, park_mtx, c_.weak);
        r.pc = o_notify;
        return emit(n, {t, "unlock park_mtx"});
    case o_notify: // park_cv.notify_all(), then the members (the arena) are destroyed
        n.destroyed = 1;
        return notify_step(n, t, true, exited, emit);
    default:
        return;
    }
}

// ---- shared steps: take_slot, start_if_room's enqueue, notify --------------------------------

/// drainer::take_slot: a = alive.load(relaxed); while (a < max) CAS(a, a + 1).
template <class Emit>
void drain_model::take_slot_step(const state& s, int t, pc load, pc cas, pc ok, pc fail,
                                 Emit& emit) const {
    state n = s;
    rec& r = n.th[t];
    if (s.th[t].pc == load) {
        r.a = n.memory.load(t, alive);
        r.pc = r.a < c_.max_drainers ? cas : fail;
        return emit(n, {t, "take_slot: alive.load ->", "", r.a});
    }
    if (!n.memory.exclusive(t, alive)) {
        return;
    }
    const std::uint8_t cur = n.memory.load(t, alive);
    if (cur == r.a) {
        n.memory.store(t, alive, static_cast<std::uint8_t>(cur + 1), c_.weak);
        r.pc = ok;
        return emit(n, {t, "take_slot: CAS alive succeeds ->", "", cur + 1});
    }
    r.a = cur;
    r.pc = cur < c_.max_drainers ? cas : fail;
    return emit(n, {t, "take_slot: CAS alive fails, sees", "", cur});
}

/// start_if_room: arena->enqueue(drainer(s)); the task starts on a free slot.
template <class Emit>
void drain_model::spawn_step(const state& s, int t, pc next, Emit& emit) const {
    state n = s;
    n.memory.fence(t); // the enqueue happens before the task runs
    if (n.destroyed != 0) {
        n.bad = arena_after_destroy;
    }
    int slot = -1;
    for (int k = first_slot(); k < first_slot() + max_slots && slot < 0; ++k) {
        const std::uint8_t p = n.th[k].pc;
        if ((p == unused || p == exited) && n.memory.pending[k] == 0) {
            slot = k;
        }
    }
    n.th[t].pc = next;
    if (slot < 0) {
        n.bad = no_free_slot;
        return emit(n, {t, "arena.enqueue: no free drainer slot"});
    }
    n.th[slot] = rec{};
    n.th[slot].pc = d_pop;
    return emit(n, {t, "arena.enqueue: starts drainer", "", slot - first_slot()});
}

/// notify_one (one waiter, each choice a step of its own) or notify_all on park_cv.
template <class Emit>
void drain_model::notify_step(const state& s, int t, bool all, pc next, Emit& emit) const {
    bool any = false;
    state every = s;
    for (int k = first_slot(); k < first_slot() + max_slots; ++k) {
        if (s.th[k].pc != p_waiting) {
            continue;
        }
        any = true;
        every.th[k].pc = p_woken;
        if (!all) {
            state n = s;
            n.th[k].pc = p_woken;
            n.th[t].pc = next;
            emit(n, {t, "park_cv.notify_one: wakes drainer", "", k - first_slot()});
        }
    }
    if (all || !any) {
        every.th[t].pc = next;
        emit(every, {t, all ? "park_cv.notify_all" : "park_cv.notify_one: nobody waits"});
    }
}

} // namespace weft_model
