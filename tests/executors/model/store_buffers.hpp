#pragma once

// Shared memory for the protocol models (test-only): one-byte variables, and per thread a FIFO
// store buffer, as in x86-TSO. Under `weak`, a thread's store (plain or read-modify-write) first
// waits in its own buffer: the thread reads its own newest store at once, the other threads read
// the old value until a flush step (the explorer schedules flushes like any other step) or the
// thread's fence makes it visible. That is the one reordering a Dekker hand-off must forbid,
// "a store followed by a load of another variable", so a model whose fence is missing fails.
//
// How the C++ orders of the real code map onto it:
//   - memory_order_seq_cst fence: drains the thread's buffer (fence());
//   - read-modify-write (fetch_add, exchange, CAS), whatever its order: reads the newest value
//     (it may not start while another thread has a store to the same variable buffered, as a
//     cache line held exclusive) and buffers its write like a store. So a seq_cst RMW is *not*
//     taken as a fence: C++ does not order it before a later relaxed or acquire load of another
//     variable, and weft's code puts an explicit fence wherever it relies on that order;
//   - a seq_cst load right after the thread's seq_cst stores or RMWs: ordered after them, as
//     they are all in C++'s single order S (load_after_seq_cst());
//   - mutex lock: a read-modify-write of the mutex variable; unlock: a buffered store of it, so
//     that everything stored in the critical section is visible before the mutex is seen free;
//   - the starting of a thread (a oneTBB enqueue) drains the starter's buffer (happens-before).
// Loads are never reordered with loads nor stores with stores, which C++ allows for relaxed
// operations; weft's hand-offs order those through acquire/release pairs, mutexes or fences, so
// the models leave that out (what they cannot find: HACKING.md).
// Without `weak`, every store is visible at once: sequential consistency.

#include <array>
#include <cstddef>
#include <cstdint>

namespace weft_model {

template <std::size_t Vars, std::size_t Threads, std::size_t Depth = 3>
struct store_buffers {
    std::array<std::uint8_t, Vars> mem{};
    std::array<std::uint8_t, Threads> pending{}; ///< stores in each thread's buffer
    std::array<std::array<std::uint8_t, Depth>, Threads> var{};
    std::array<std::array<std::uint8_t, Depth>, Threads> val{};

    /// x as thread t sees it: its own newest buffered store, else memory.
    [[nodiscard]] std::uint8_t load(std::size_t t, std::size_t x) const noexcept {
        for (std::size_t i = pending[t]; i-- > 0;) {
            if (var[t][i] == x) {
                return val[t][i];
            }
        }
        return mem[x];
    }

    /// A seq_cst load after seq_cst stores: C++ orders it after them (the single order S), so the
    /// thread's buffer drains first. Use it only where every store the thread may still have
    /// buffered is seq_cst itself.
    [[nodiscard]] std::uint8_t load_after_seq_cst(std::size_t t, std::size_t x) noexcept {
        fence(t);
        return mem[x];
    }

    /// x's newest value in coherence order (what a read-modify-write would read).
    [[nodiscard]] std::uint8_t latest(std::size_t x) const noexcept {
        for (std::size_t t = 0; t < Threads; ++t) {
            if (has_pending(t, x)) {
                return load(t, x);
            }
        }
        return mem[x];
    }

    [[nodiscard]] bool has_pending(std::size_t t, std::size_t x) const noexcept {
        for (std::size_t i = 0; i < pending[t]; ++i) {
            if (var[t][i] == x) {
                return true;
            }
        }
        return false;
    }

    /// Whether t may write x now: no other thread has a store to x still buffered.
    [[nodiscard]] bool exclusive(std::size_t t, std::size_t x) const noexcept {
        for (std::size_t u = 0; u < Threads; ++u) {
            if (u != t && has_pending(u, x)) {
                return false;
            }
        }
        return true;
    }

    /// t stores v to x; call only when exclusive(t, x).
    void store(std::size_t t, std::size_t x, std::uint8_t v, bool weak) noexcept {
        if (!weak) {
            mem[x] = v;
            return;
        }
        if (pending[t] == Depth) {
            flush_one(t); // a full buffer drains its oldest store first, as hardware does
        }
        var[t][pending[t]] = static_cast<std::uint8_t>(x);
        val[t][pending[t]] = v;
        ++pending[t];
    }

    /// Makes t's oldest buffered store visible to all.
    void flush_one(std::size_t t) noexcept {
        mem[var[t][0]] = val[t][0];
        for (std::size_t i = 1; i < pending[t]; ++i) {
            var[t][i - 1] = var[t][i];
            val[t][i - 1] = val[t][i];
        }
        --pending[t];
        var[t][pending[t]] = 0;
        val[t][pending[t]] = 0;
    }

    /// A seq_cst fence: every store of t visible before t goes on.
    void fence(std::size_t t) noexcept {
        while (pending[t] != 0) {
            flush_one(t);
        }
    }

    /// Locks mutex variable m (0 free, 1 held) for t if it is free; false when t must wait.
    bool try_lock(std::size_t t, std::size_t m, bool weak) noexcept {
        if (!exclusive(t, m) || load(t, m) != 0) {
            return false;
        }
        store(t, m, 1, weak);
        return true;
    }

    void unlock(std::size_t t, std::size_t m, bool weak) noexcept { store(t, m, 0, weak); }
};

/// Emits one step per thread with a buffered store: its oldest store becomes visible.
/// names[x] names variable x in traces.
template <class State, class Emit, std::size_t N>
void emit_flushes(const State& s, Emit& emit, const std::array<const char*, N>& names) {
    for (std::size_t t = 0; t < s.memory.pending.size(); ++t) {
        if (s.memory.pending[t] != 0) {
            State n = s;
            const std::uint8_t x = n.memory.var[t][0];
            const std::uint8_t v = n.memory.val[t][0];
            n.memory.flush_one(t);
            emit(n, {static_cast<int>(t), "store visible:", names[x], v});
        }
    }
}

} // namespace weft_model
