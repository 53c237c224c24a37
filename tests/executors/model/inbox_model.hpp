#pragma once

// A model of the loop inbox, the far end of every executor's completion hand-off (test-only),
// for the explorer in explorer.hpp: a worker completes a call's promise, its waiter posts the
// resumption to the awaiting loop, and the loop runs a batch of such posts per wake-up. Each
// step below is one atomic action of the real code, in the real order; keep them in step with:
//
//   runtime/src/loop_impl.cpp
//     loop_impl::post          producer: b_lock .. b_unlock (inbox_mtx_, inbox_, wake_pending_)
//     loop_impl::drain_inbox   loop: l_take .. l_run
//     loop_impl::close         loop: l_exit_lock .. l_exit_unlock (drops the inbox, then the
//                              loop may be destroyed)
//
// The hand-off it checks ("one wake-up for many completions"): a producer pushes under
// inbox_mtx_ and exchanges wake_pending_ to true; only the one that flips it posts a drain to the
// io_context. The drain clears the flag *before* it takes the batch, so a producer that pushes
// after the swap sees false and posts afresh. Checked: every post runs exactly once, in each
// producer's order; at most one drain is queued at a time; and no producer touches the loop after
// it may have been destroyed, which it may be as soon as it has run the last post (the post that
// completes the awaited future can be the one that lets weft::run return), so post() does all
// its work, the io_context post included, under the lock the loop takes before it goes.
// The inbox vectors are plain data under inbox_mtx_, and asio::post is locked inside Asio: both
// are kept as plain model state. inbox_mtx_ and wake_pending_ go through the store buffers.
//
// `bug` selects a deliberately broken variant; each one must make the explorer fail.

#include "explorer.hpp"
#include "store_buffers.hpp"

#include <array>
#include <cstdint>
#include <string>

namespace weft_model {

enum class inbox_bug : std::uint8_t {
    none,
    clear_after_swap,  ///< drain_inbox clears the flag after taking the batch
    never_clear,       ///< drain_inbox never clears the flag
    post_after_unlock, ///< post() posts the drain after releasing inbox_mtx_
    flag_outside_lock, ///< post() tests and sets the flag (load, then store) after unlocking
};

struct inbox_config {
    int producers = 2;  ///< 1 to 3
    int posts_each = 2; ///< 1 to 2
    bool weak = true;
    inbox_bug bug = inbox_bug::none;
};

class inbox_model {
public:
    static constexpr int max_producers = 3;
    static constexpr int max_posts = 6;
    static constexpr int loop_thread = max_producers;

    enum var : std::uint8_t { inbox_mtx, wake_pending, var_count };

    // clang-format off
    enum pc : std::uint8_t {
        exited,
        b_lock, b_push, b_xchg, b_post, b_unlock, b_load, b_store, // post()
        l_idle, l_clear, l_lock, l_swap, l_unlock, l_run,          // drain_inbox()
        l_exit_lock, l_exit_clear, l_exit_unlock,                  // close()
    };
    // clang-format on

    enum bad_kind : std::uint8_t { fine, out_of_order, after_destroy };
    /// A queued post: its producer and its number among that producer's posts.
    static constexpr std::uint8_t item(int producer, int number) noexcept {
        return static_cast<std::uint8_t>(producer + max_producers * number);
    }

    struct state {
        store_buffers<var_count, max_producers + 1, 2> memory;
        std::array<std::uint8_t, max_producers + 1> pc{};
        std::array<std::uint8_t, max_producers> sent{};      ///< posts pushed by each producer
        std::array<std::uint8_t, max_producers> delivered{}; ///< posts run, by producer
        std::array<std::uint8_t, max_posts> inbox{};         ///< queued posts: item(p, number)
        std::array<std::uint8_t, max_posts> batch{};
        std::uint8_t inbox_n = 0;
        std::uint8_t batch_n = 0;
        std::array<std::uint8_t, max_producers> post_due{}; ///< post_after_unlock: still to post
        std::uint8_t io_pending = 0; ///< drains posted to the io_context, not yet started
        std::uint8_t wake_ups = 0;   ///< drains posted in all
        std::uint8_t destroyed = 0;
        std::uint8_t bad = fine;
    };

    explicit inbox_model(inbox_config c) : c_(c) {}

    [[nodiscard]] state initial() const {
        state s;
        for (int p = 0; p < c_.producers; ++p) {
            s.pc[p] = b_lock;
        }
        s.pc[loop_thread] = l_idle;
        return s;
    }

    template <class Emit>
    void successors(const state& s, Emit&& emit) const {
        for (int p = 0; p < c_.producers; ++p) {
            producer_step(s, p, emit);
        }
        loop_step(s, emit);
        if (c_.weak) {
            emit_flushes(s, emit, var_names());
        }
    }

    [[nodiscard]] const char* violation(const state& s) const {
        if (s.bad == out_of_order) {
            return "a post ran twice or out of its producer's order";
        }
        if (s.bad == after_destroy) {
            return "a producer touched the loop after the loop could be destroyed";
        }
        if (s.io_pending > 1) {
            return "two drains queued at once (one wake-up per batch broken)";
        }
        return nullptr;
    }

    [[nodiscard]] bool finished(const state& s) const {
        for (int p = 0; p <= loop_thread; ++p) {
            if (s.pc[p] != exited) {
                return false;
            }
        }
        return true; // the loop leaves only once every post has run
    }

    [[nodiscard]] std::string thread_name(int t) const {
        return t == loop_thread ? "loop" : "producer " + std::to_string(t);
    }

    [[nodiscard]] std::string describe(const state& s) const {
        std::string out = "inbox_mtx=" + std::to_string(s.memory.latest(inbox_mtx)) +
                          " wake_pending=" + std::to_string(s.memory.latest(wake_pending)) +
                          " inbox=" + std::to_string(s.inbox_n) +
                          " drains queued=" + std::to_string(s.io_pending) + " run:";
        for (int p = 0; p < c_.producers; ++p) {
            out += " " + std::to_string(s.delivered[p]) + "/" + std::to_string(c_.posts_each);
        }
        return out;
    }

private:
    template <class Emit>
    void producer_step(const state& s, int p, Emit& emit) const;
    template <class Emit>
    void loop_step(const state& s, Emit& emit) const;

    [[nodiscard]] bool all_run(const state& s) const {
        for (int p = 0; p < c_.producers; ++p) {
            if (s.delivered[p] != c_.posts_each) {
                return false;
            }
        }
        return true;
    }
    /// asio::post(io_, drain_inbox)
    static void post_drain(state& n) {
        ++n.io_pending;
        ++n.wake_ups;
    }
    /// Where a producer goes once done with a post.
    [[nodiscard]] pc next_post(const state& n, int p) const {
        return n.sent[p] == c_.posts_each ? exited : b_lock;
    }
    [[nodiscard]] bool bug(inbox_bug b) const noexcept { return c_.bug == b; }
    static const std::array<const char*, var_count>& var_names() {
        static const std::array<const char*, var_count> names{"inbox_mtx", "wake_pending"};
        return names;
    }

    inbox_config c_;
};

// ---- producer: loop_impl::post, from a worker thread ------------------------------------------

template <class Emit>
void inbox_model::producer_step(const state& s, int p, Emit& emit) const {
    state n = s;
    if (s.pc[p] != exited && n.destroyed != 0) {
        n.bad = after_destroy;
    }
    switch (s.pc[p]) {
    case b_lock: // std::lock_guard lock(inbox_mtx_)
        if (!n.memory.try_lock(p, inbox_mtx, c_.weak)) {
            return;
        }
        n.pc[p] = b_push;
        return emit(n, {p, "lock inbox_mtx"});
    case b_push: // inbox_.push_back(std::move(f))
        n.inbox[n.inbox_n++] = item(p, n.sent[p]);
        ++n.sent[p];
        n.pc[p] = bug(inbox_bug::flag_outside_lock) ? b_unlock : b_xchg;
        return emit(n, {p, "inbox.push_back: post", "", n.sent[p] - 1});
    case b_xchg: { // if (!wake_pending_.exchange(true))
        if (!n.memory.exclusive(p, wake_pending)) {
            return;
        }
        const std::uint8_t was = n.memory.load(p, wake_pending);
        n.memory.store(p, wake_pending, 1, c_.weak);
        n.pc[p] = was != 0 ? b_unlock : bug(inbox_bug::post_after_unlock) ? b_unlock : b_post;
        if (was == 0 && bug(inbox_bug::post_after_unlock)) {
            n.post_due[p] = 1; // posts once unlocked
        }
        return emit(n, {p, "wake_pending.exchange(true) ->", "", was});
    }
    case b_post: // asio::post(io_, [this] { drain_inbox(); })
        post_drain(n);
        n.pc[p] = bug(inbox_bug::post_after_unlock) || bug(inbox_bug::flag_outside_lock)
                      ? next_post(n, p)
                      : b_unlock;
        return emit(n, {p, "asio::post(drain_inbox)"});
    case b_unlock:
        n.memory.unlock(p, inbox_mtx, c_.weak);
        if (bug(inbox_bug::flag_outside_lock)) {
            n.pc[p] = b_load;
        } else if (n.post_due[p] != 0) {
            n.post_due[p] = 0;
            n.pc[p] = b_post;
        } else {
            n.pc[p] = next_post(n, p);
        }
        return emit(n, {p, "unlock inbox_mtx"});
    case b_load: { // bug: if (!wake_pending_.load()) { wake_pending_.store(true); post }
        const std::uint8_t v = n.memory.load(p, wake_pending);
        n.pc[p] = v != 0 ? next_post(n, p) : b_store;
        return emit(n, {p, "wake_pending.load ->", "", v});
    }
    case b_store:
        if (!n.memory.exclusive(p, wake_pending)) {
            return;
        }
        n.memory.store(p, wake_pending, 1, c_.weak);
        n.pc[p] = b_post;
        return emit(n, {p, "wake_pending.store(true)"});
    default:
        return;
    }
}

// ---- loop: drain_inbox as an io_context handler, and close()
// --------------------------------------

template <class Emit>
void inbox_model::loop_step(const state& s, Emit& emit) const {
    const int t = loop_thread;
    state n = s;
    switch (s.pc[t]) {
    case l_idle:
        if (all_run(s)) { // the last post let weft::run return: the loop closes
            n.pc[t] = l_exit_lock;
            emit(n, {t, "every post ran: the loop stops"});
            n = s;
        }
        if (s.io_pending == 0) {
            return;
        }
        --n.io_pending;
        n.pc[t] =
            bug(inbox_bug::clear_after_swap) || bug(inbox_bug::never_clear) ? l_lock : l_clear;
        return emit(n, {t, "io_context runs drain_inbox"});
    case l_clear: // wake_pending_.store(false, release)
        if (!n.memory.exclusive(t, wake_pending)) {
            return;
        }
        n.memory.store(t, wake_pending, 0, c_.weak);
        n.pc[t] = bug(inbox_bug::clear_after_swap) ? l_run : l_lock;
        return emit(n, {t, "wake_pending.store(false)"});
    case l_lock:
        if (!n.memory.try_lock(t, inbox_mtx, c_.weak)) {
            return;
        }
        n.pc[t] = l_swap;
        return emit(n, {t, "lock inbox_mtx"});
    case l_swap: // inbox_batch_.swap(inbox_)
        n.batch = n.inbox;
        n.batch_n = n.inbox_n;
        n.inbox = {};
        n.inbox_n = 0;
        n.pc[t] = l_unlock;
        return emit(n, {t, "swap: takes posts", "", n.batch_n});
    case l_unlock:
        n.memory.unlock(t, inbox_mtx, c_.weak);
        n.pc[t] = bug(inbox_bug::clear_after_swap) ? l_clear : l_run;
        return emit(n, {t, "unlock inbox_mtx"});
    case l_run: // for (auto& f : inbox_batch_) f();
        for (int i = 0; i < n.batch_n; ++i) {
            const int p = n.batch[i] % max_producers;
            if (n.batch[i] / max_producers != n.delivered[p]++) {
                n.bad = out_of_order;
            }
        }
        n.batch = {};
        n.batch_n = 0;
        n.pc[t] = l_idle;
        return emit(n, {t, "runs the batch"});
    case l_exit_lock:
        if (!n.memory.try_lock(t, inbox_mtx, c_.weak)) {
            return;
        }
        n.pc[t] = l_exit_clear;
        return emit(n, {t, "close: lock inbox_mtx"});
    case l_exit_clear:
        n.inbox = {};
        n.inbox_n = 0;
        n.pc[t] = l_exit_unlock;
        return emit(n, {t, "close: inbox_.clear()"});
    case l_exit_unlock:
        n.memory.unlock(t, inbox_mtx, c_.weak);
        n.destroyed = 1;
        n.pc[t] = exited;
        return emit(n, {t, "close: unlock inbox_mtx; the loop is destroyed"});
    default:
        return;
    }
}

} // namespace weft_model
