#pragma once

// A model of tbb_pool's hand-off between the threads that submit calls and the drainer tasks
// that run them (test-only), for the explorer in explorer.hpp. Each step
// (drain_model_submitter.hpp, drain_model_drainer.hpp) is one atomic action of the real code, in
// the real order; keep them in step with it:
//
//   executors/src/tbb_pool.cpp
//     tbb_pool_core::enqueue          submitter: s_push .. s_notify
//     drain_state::wake_parked        submitter: s_read_parked, s_lock, s_unlock, s_notify
//     drainer::start_if_room          *_take_load, *_take_cas, *_idle_inc, *_spawn
//     drainer::take_slot              *_take_load, *_take_cas
//     drainer::operator()             drainer: d_pop .. d_linger, and the leaving l_* steps
//     drainer::park                   drainer: p_lock .. p_ret
//     tbb_pool_core::~tbb_pool_core   owner: o_lock .. o_notify
//   executors/src/yield_until.hpp     yield_until (d_linger: it may see a call or give up)
//
// The three hand-offs it checks:
//   1. A submitter publishes a call, then reads `idle`; a drainer that runs out of calls lowers
//      `idle` and `alive`, then looks at the queue once more before it leaves. Both sides fence
//      in between (Dekker): either the submitter sees no idle drainer and starts one, or the
//      leaving drainer sees the call and stays.
//   2. A drainer that takes a call while it was the only idle one lowers `idle`, fences, and
//      starts a helper if more calls wait; pairs with the submitter's fence as in 1, so that a
//      call never waits behind a running one while there is room for a drainer (the barrier
//      configuration: calls that block until all have started would hang otherwise).
//   3. A drainer parks: it raises `parked`, fences and re-checks the queue under park_mtx before
//      it sleeps; a submitter that sees `parked` takes and drops park_mtx before notify_one, so
//      the notify cannot fall between the drainer's re-check and its sleep.
// The queue is tbb::concurrent_queue, taken as linearisable: push and try_pop are each one
// read-modify-write of `queued` (its count); empty() one load. The 50 ms park timeout is left
// out unless park_timeout is set: without it a missed wake-up is a hang the explorer reports,
// where the real pool would stall for 50 ms. The pool's destructor (the owner) runs once every
// call has ended, as shutdown(wait) ensures, and wakes parked drainers with `closing`.
//
// `bug` selects a deliberately broken variant; each one must make the explorer fail.

#include "explorer.hpp"
#include "store_buffers.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>
#include <utility>

namespace weft_model {

/// Broken variants of the protocol, each of which the explorer must catch.
enum class drain_bug : std::uint8_t {
    none,
    no_submit_fence,       ///< enqueue: no fence between push and the read of `idle`
    idle_read_before_push, ///< enqueue: reads `idle` before it pushes the call
    no_wake_parked,        ///< enqueue: never wakes a parked drainer
    no_wake_lock,          ///< wake_parked: notify_one without taking park_mtx first
    no_helper_start,       ///< operator(): the last idle drainer taking a call starts no helper
    no_pop_fence,          ///< operator(): no fence before it looks for more calls
    no_park_fence,         ///< park: no fence between raising `parked` and the re-check
    park_without_recheck,  ///< park: sleeps without re-checking the queue first
    no_leave_fence,        ///< operator(): no fence between lowering the counts and the re-check
    no_leave_recheck,      ///< operator(): leaves without looking at the queue again
};

struct drain_config {
    int submitters = 2;          ///< 1 to 3
    int jobs_each = 1;           ///< calls per submitter; submitters * jobs_each <= 6
    int max_drainers = 2;        ///< max_workers, 1 to 3
    bool weak = true;            ///< store buffers (see store_buffers.hpp), else SC
    bool barrier_jobs = false;   ///< each call blocks until every call has started
    bool park_timeout = false;   ///< park may time out, as the real 50 ms wait_for does
    std::uint8_t max_misses = 1; ///< linger rounds that saw a call (the real 8: bounded alike)
    drain_bug bug = drain_bug::none;
};

class drain_model {
public:
    static constexpr int max_submitters = 3;
    static constexpr int max_slots = 4; ///< drainer tasks alive at once, leaving ones included
    static constexpr int max_threads = max_submitters + 1 + max_slots;
    static constexpr int max_jobs = 6;
    static constexpr std::size_t buffer_depth = 3;

    enum var : std::uint8_t { queued, alive, idle, parked, park_mtx, closing, var_count };

    // clang-format off
    enum pc : std::uint8_t {
        unused, exited, // a drainer slot not started / a thread that has returned
        // submitter: tbb_pool_core::enqueue, drain_state::wake_parked
        s_early_read, s_push, s_fence, s_read_idle, s_take_load, s_take_cas, s_idle_inc, s_spawn,
        s_read_parked, s_lock, s_unlock, s_notify,
        // owner: ~tbb_pool_core
        o_wait, o_lock, o_set, o_unlock, o_notify,
        // drainer::operator()
        d_pop, d_busy, d_fence, d_check, d_take_load, d_take_cas, d_idle_inc, d_spawn, d_run,
        d_job_wait, d_pop_more, d_idle_back, d_linger,
        // drainer::park
        p_lock, p_check, p_unlock_full, p_inc, p_fence, p_pred, p_sleep, p_waiting, p_woken,
        p_timed_out, p_dec, p_ret,
        // drainer::operator(), leaving
        l_idle_dec, l_alive_dec, l_fence, l_check, l_take_load, l_take_cas, l_idle_inc,
    };
    // clang-format on

    /// Why a state is bad (state::bad).
    enum bad_kind : std::uint8_t { fine, ran_twice, arena_after_destroy, no_free_slot };

    struct thread_rec {
        std::uint8_t pc = unused;
        std::uint8_t job = 0;    ///< drainer: the call it holds
        std::uint8_t a = 0;      ///< take_slot's `a`; the mutant's early read of `idle`
        std::uint8_t misses = 0; ///< drainer: linger rounds that saw a call
        std::uint8_t woken = 0;  ///< park: wait_for's result
        std::uint8_t left = 0;   ///< submitter: calls still to submit
    };

    struct state {
        store_buffers<var_count, max_threads, buffer_depth> memory;
        std::array<thread_rec, max_threads> th;
        std::array<std::uint8_t, max_jobs> ran{}; ///< times each call ran
        std::uint8_t pushed = 0; ///< calls pushed (a call's number is its push order)
        std::uint8_t popped = 0;
        std::uint8_t started = 0; ///< calls that began running
        std::uint8_t ended = 0;
        std::uint8_t destroyed = 0; ///< the pool (its arena) is gone
        std::uint8_t bad = fine;
    };

    explicit drain_model(drain_config c) : c_(c) {}

    [[nodiscard]] state initial() const {
        state s;
        for (int i = 0; i < c_.submitters; ++i) {
            s.th[i].pc = c_.bug == drain_bug::idle_read_before_push ? s_early_read : s_push;
            s.th[i].left = static_cast<std::uint8_t>(c_.jobs_each);
        }
        s.th[owner()].pc = o_wait;
        return s;
    }

    template <class Emit>
    void successors(const state& s, Emit&& emit) const {
        for (int t = 0; t < c_.submitters; ++t) {
            submitter_step(s, t, emit);
        }
        owner_step(s, emit);
        for (int t = first_slot(); t < first_slot() + max_slots; ++t) {
            drainer_step(s, t, emit);
            park_step(s, t, emit);
            leave_step(s, t, emit);
        }
        if (c_.weak) {
            emit_flushes(s, emit, var_names());
        }
    }

    [[nodiscard]] const char* violation(const state& s) const {
        switch (s.bad) {
        case ran_twice:
            return "a call ran twice";
        case arena_after_destroy:
            return "a drainer was enqueued into the arena of a destroyed pool";
        case no_free_slot:
            return "model bound: more drainer tasks at once than max_slots";
        default:
            break;
        }
        if (s.memory.latest(alive) > c_.max_drainers) {
            return "more drainers alive than max_workers";
        }
        if (s.memory.latest(idle) > s.memory.latest(alive)) {
            return "idle drainers outnumber live ones (a count went wrong)";
        }
        if (s.memory.latest(parked) > 1) {
            return "two drainers parked (at most one may hold a worker asleep)";
        }
        return nullptr;
    }

    [[nodiscard]] bool finished(const state& s) const {
        for (const thread_rec& r : s.th) {
            if (r.pc != unused && r.pc != exited) {
                return false;
            }
        }
        for (int j = 0; j < total_jobs(); ++j) {
            if (s.ran[j] != 1) {
                return false;
            }
        }
        return true;
    }

    [[nodiscard]] std::string thread_name(int t) const {
        if (t < c_.submitters) {
            return "submitter " + std::to_string(t);
        }
        if (t == owner()) {
            return "pool owner";
        }
        return "drainer " + std::to_string(t - first_slot());
    }

    [[nodiscard]] std::string describe(const state& s) const;

    /// Symmetry: like submitters are interchangeable, and so are drainer tasks (a finished one
    /// with nothing left in its store buffer is a free slot like one never used).
    void canonical(state& s) const {
        for (int k = first_slot(); k < first_slot() + max_slots; ++k) {
            if (s.th[k].pc == exited && s.memory.pending[k] == 0) {
                s.th[k] = rec{};
            }
        }
        sort_threads(s, 0, c_.submitters);
        sort_threads(s, first_slot(), first_slot() + max_slots);
    }

private:
    using rec = thread_rec;
    template <class Emit>
    void submitter_step(const state& s, int t, Emit& emit) const;
    template <class Emit>
    void owner_step(const state& s, Emit& emit) const;
    template <class Emit>
    void drainer_step(const state& s, int t, Emit& emit) const;
    template <class Emit>
    void park_step(const state& s, int t, Emit& emit) const;
    template <class Emit>
    void leave_step(const state& s, int t, Emit& emit) const;
    template <class Emit>
    void take_slot_step(const state& s, int t, pc load, pc cas, pc ok, pc fail, Emit& emit) const;
    template <class Emit>
    void spawn_step(const state& s, int t, pc next, Emit& emit) const;
    template <class Emit>
    void notify_step(const state& s, int t, bool all, pc next, Emit& emit) const;

    /// Adds d to variable x as one read-modify-write of thread t; false when t must wait.
    bool rmw(state& n, int t, var x, int d) const {
        if (!n.memory.exclusive(t, x)) {
            return false;
        }
        n.memory.store(t, x, static_cast<std::uint8_t>(n.memory.load(t, x) + d), c_.weak);
        return true;
    }
    enum class pop_result { popped, empty, wait };
    /// try_pop: fails on a queue that looks empty to t (maybe a stale look); else, as a
    /// read-modify-write, takes a call if one is there (after waiting for another thread's
    /// buffered store to `queued`, as a CAS waits for the cache line).
    pop_result try_pop(state& n, int t) const {
        if (n.memory.load(t, queued) == 0) {
            return pop_result::empty;
        }
        if (!n.memory.exclusive(t, queued)) {
            return pop_result::wait;
        }
        rmw(n, t, queued, -1);
        n.th[t].job = n.popped++;
        return pop_result::popped;
    }
    /// Where a submitter goes once done with a call (`left` counts down at the push).
    [[nodiscard]] pc submitted_one(const rec& r) const {
        if (r.left == 0) {
            return exited;
        }
        return c_.bug == drain_bug::idle_read_before_push ? s_early_read : s_push;
    }
    /// Where a submitter goes once it read `idle` (tbb_pool_core::enqueue's branch).
    [[nodiscard]] pc after_idle_read(const rec& r, std::uint8_t idle_seen) const {
        if (idle_seen == 0) {
            return s_take_load;
        }
        return c_.bug == drain_bug::no_wake_parked ? submitted_one(r) : s_read_parked;
    }

    /// Orders threads [from, to) by their record and store buffer.
    static void sort_threads(state& s, int from, int to) {
        constexpr std::size_t d = buffer_depth;
        struct entry {
            std::array<std::uint8_t, sizeof(rec) + 1 + 2 * d> key;
            rec r;
            std::uint8_t pending;
            std::array<std::uint8_t, d> var, val;
            bool operator<(const entry& o) const { return key < o.key; }
        };
        std::array<entry, max_slots> e{};
        const int count = to - from;
        for (int i = 0; i < count; ++i) {
            const int t = from + i;
            e[i] = {{}, s.th[t], s.memory.pending[t], s.memory.var[t], s.memory.val[t]};
            std::memcpy(e[i].key.data(), &e[i].r, sizeof(rec));
            e[i].key[sizeof(rec)] = e[i].pending;
            std::memcpy(e[i].key.data() + sizeof(rec) + 1, e[i].var.data(), d);
            std::memcpy(e[i].key.data() + sizeof(rec) + 1 + d, e[i].val.data(), d);
        }
        for (int i = 1; i < count; ++i) { // insertion sort: four entries at most
            for (int j = i; j > 0 && e[j] < e[j - 1]; --j) {
                std::swap(e[j], e[j - 1]);
            }
        }
        for (int i = 0; i < count; ++i) {
            const int t = from + i;
            s.th[t] = e[i].r;
            s.memory.pending[t] = e[i].pending;
            s.memory.var[t] = e[i].var;
            s.memory.val[t] = e[i].val;
        }
    }

    [[nodiscard]] int owner() const noexcept { return c_.submitters; }
    [[nodiscard]] static constexpr int first_slot() noexcept { return max_submitters + 1; }
    [[nodiscard]] int total_jobs() const noexcept { return c_.submitters * c_.jobs_each; }
    [[nodiscard]] bool bug(drain_bug b) const noexcept { return c_.bug == b; }
    static const std::array<const char*, var_count>& var_names() {
        static const std::array<const char*, var_count> names{"queued", "alive",    "idle",
                                                              "parked", "park_mtx", "closing"};
        return names;
    }

    drain_config c_;
};

inline std::string drain_model::describe(const state& s) const {
    // clang-format off
    static const char* const pc_names[] = {
        "unused", "exited",
        "s_early_read", "s_push", "s_fence", "s_read_idle", "s_take_load", "s_take_cas",
        "s_idle_inc", "s_spawn", "s_read_parked", "s_lock", "s_unlock", "s_notify",
        "o_wait", "o_lock", "o_set", "o_unlock", "o_notify",
        "d_pop", "d_busy", "d_fence", "d_check", "d_take_load", "d_take_cas", "d_idle_inc",
        "d_spawn", "d_run", "d_job_wait", "d_pop_more", "d_idle_back", "d_linger",
        "p_lock", "p_check", "p_unlock_full", "p_inc", "p_fence", "p_pred", "p_sleep",
        "p_waiting", "p_woken", "p_timed_out", "p_dec", "p_ret",
        "l_idle_dec", "l_alive_dec", "l_fence", "l_check", "l_take_load", "l_take_cas",
        "l_idle_inc"};
    // clang-format on
    static_assert(std::size(pc_names) == l_idle_inc + 1, "one name per pc");
    std::string out;
    for (int x = 0; x < var_count; ++x) {
        out += std::string(var_names()[x]) + "=" + std::to_string(s.memory.latest(x)) + " ";
    }
    out += "calls run=" + std::to_string(s.ended) + "/" + std::to_string(total_jobs()) + ";";
    for (int t = 0; t < max_threads; ++t) {
        if (t < c_.submitters || t == owner() || s.th[t].pc != unused) {
            out += " [" + thread_name(t) + ": " + pc_names[s.th[t].pc] + "]";
        }
    }
    return out;
}

} // namespace weft_model

// The steps, defined out of the class so that each file holds one side of the hand-off.
#include "drain_model_drainer.hpp"
#include "drain_model_submitter.hpp"
