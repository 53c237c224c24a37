#pragma once

/// What the executor tests share: one "kind" per executor, so that a typed test runs the same grid
/// of operations against tbb_pool, thread_pool, inline_executor and the runtime's default executor;
/// a gate that calls wait at without sleeping; and a poll for counters that other threads update.

#include <weft/testing/util.hpp>
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <future>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace weft_exec_test {

using namespace std::chrono_literals;

// ---- ThreadSanitizer and oneTBB ----------------------------------------------------------------
// Debian's libtbb is not built with ThreadSanitizer, so TSan cannot see the synchronisation inside
// it: the hand-off of a call to a TBB worker (task_arena::enqueue), the reuse of TBB's task memory
// and tbb::parallel_for's own bookkeeping are all reported as data races, with a TBB frame in
// every report. Under TSan the tests that use oneTBB (tbb_pool, the default executor, nested
// parallel_for) are therefore skipped; thread_pool and inline_executor still run the whole grid,
// through the same executor_core, future and loop code.

#if defined(__SANITIZE_THREAD__)
inline constexpr bool under_tsan = true;
#else
inline constexpr bool under_tsan = false;
#endif

inline constexpr const char* tbb_under_tsan =
    "uses oneTBB, whose uninstrumented library makes ThreadSanitizer report its internal "
    "synchronisation as races (see executor_kinds.hpp)";

/// Skips the current test (from a plain function: TEST body or SetUp) when it uses oneTBB and
/// runs under ThreadSanitizer.
#define WEFT_SKIP_TBB_UNDER_TSAN()                                                                 \
    do {                                                                                           \
        if (::weft_exec_test::under_tsan) {                                                        \
            GTEST_SKIP() << ::weft_exec_test::tbb_under_tsan;                                      \
        }                                                                                          \
    } while (false)

/// A door that calls on an executor wait at: closed until open(). A call never waits longer than
/// a safety limit, so that a test that fails to open it (a loop blocked by mistake) fails with
/// timed_out() instead of hanging. Opens itself on destruction so that no worker stays stuck.
class gate {
public:
    explicit gate(std::chrono::milliseconds limit = safety_limit)
        : f_(p_.get_future().share()), limit_(limit) {}
    gate(const gate&) = delete;
    gate& operator=(const gate&) = delete;
    ~gate() { open(); }

    /// Lets every waiting and future wait() through. Any thread; idempotent.
    void open() {
        if (!opened_.exchange(true, std::memory_order_acq_rel)) {
            p_.set_value();
        }
    }
    [[nodiscard]] bool is_open() const noexcept { return opened_.load(std::memory_order_acquire); }

    /// Blocks until open() (at most the limit given at construction).
    void wait() const {
        if (f_.wait_for(limit_) != std::future_status::ready) {
            timed_out_.store(true, std::memory_order_release);
        }
    }
    /// Whether some wait() gave up: the test never opened the gate while it should have.
    [[nodiscard]] bool timed_out() const noexcept {
        return timed_out_.load(std::memory_order_acquire);
    }

    static constexpr std::chrono::milliseconds safety_limit{20'000};

private:
    std::promise<void> p_;
    std::shared_future<void> f_;
    std::chrono::milliseconds limit_;
    std::atomic<bool> opened_{false};
    mutable std::atomic<bool> timed_out_{false};
};

/// Submits n calls through submit(fn) (which returns the call's future) that each wait until all
/// n have arrived, waits for them, and returns how many ran at once at most: n when the executor
/// runs n calls together; fewer when it cannot, after one wait of `limit` (the first call to give
/// up lets the rest through). Blocks: call it off a loop, or from a loop only when submit() runs
/// the calls on other threads and waits for nothing on this one.
template <class Submit>
std::size_t calls_at_once(Submit submit, std::size_t n, std::chrono::milliseconds limit) {
    gate all_arrived(limit);
    std::atomic<std::size_t> arrived{0};
    std::atomic<std::size_t> running{0};
    std::atomic<std::size_t> peak{0};
    std::vector<weft::future<void>> calls;
    for (std::size_t i = 0; i < n; ++i) {
        calls.push_back(submit([&] {
            const std::size_t now = ++running;
            std::size_t p = peak.load();
            while (now > p && !peak.compare_exchange_weak(p, now)) {
            }
            if (++arrived == n) {
                all_arrived.open();
            }
            all_arrived.wait();
            all_arrived.open(); // after a timeout, the calls still queued need not wait again
            --running;
        }));
    }
    for (auto& f : calls) {
        while (!f.done()) {
            std::this_thread::yield();
        }
    }
    return peak.load();
}

/// Polls pred() from a loop until it holds or `limit` passed: for counters that executor threads
/// update after the future is already complete (stats().discarded, stats().cancelled). Polling
/// with a short sleep is not synchronisation by sleeping: the outcome never depends on the
/// timing, only the time it takes to see it.
template <class Pred>
weft::task<bool> eventually(Pred pred, std::chrono::milliseconds limit = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline) {
            co_return pred();
        }
        co_await weft::sleep(1ms);
    }
    co_return true;
}

/// Awaits a future inside a task of its own, so that the test can cancel that task. Sets
/// `awaiting` right before it suspends on f: once a test has seen it set, cancelling the task
/// reaches the await of f (a task cancelled before it starts never awaits f at all, and f, which
/// was made outside the task, then runs on undisturbed).
template <class T>
weft::task<T> await_future(weft::future<T> f, weft::testing::event& awaiting) {
    awaiting.set(); // wakes the test only after this task suspends below (same loop)
    co_return co_await std::move(f);
}

// ---- the executor kinds -------------------------------------------------------------------------
// Each kind owns (or names) one executor with `workers` threads and offers the same verbs:
// run(fn, args...) = run_in_executor, submit(fn), shutdown(wait, cancel_pending), stats(), core(),
// options() for weft::run. The default executor only exists inside weft::run (options
// .blocking_threads sizes it); its public verbs are run_in_executor(nullptr, ...) and to_thread.

struct tbb_pool_kind {
    static constexpr const char* name = "tbb_pool";
    static constexpr bool is_inline = false;
    static constexpr bool is_tbb = true;

    explicit tbb_pool_kind(std::size_t workers = 4) : pool({.max_workers = workers}) {}

    [[nodiscard]] weft::options options(std::size_t loops = 1) const { return {.loops = loops}; }
    template <class F, class... A>
    auto run(F&& fn, A&&... args) {
        return weft::run_in_executor(pool, std::forward<F>(fn), std::forward<A>(args)...);
    }
    template <class F>
    auto submit(F&& fn) {
        return pool.submit(std::forward<F>(fn));
    }
    void shutdown(bool wait, bool cancel_pending) { pool.shutdown(wait, cancel_pending); }
    [[nodiscard]] weft::executor_stats stats() const { return pool.stats(); }
    [[nodiscard]] std::size_t max_workers() const { return pool.max_workers(); }
    weft::detail::executor_core& core() { return pool.core(); }

    weft::tbb_pool pool;
};

struct thread_pool_kind {
    static constexpr const char* name = "thread_pool";
    static constexpr bool is_inline = false;
    static constexpr bool is_tbb = false;

    explicit thread_pool_kind(std::size_t workers = 4) : pool({.threads = workers}) {}

    [[nodiscard]] weft::options options(std::size_t loops = 1) const { return {.loops = loops}; }
    template <class F, class... A>
    auto run(F&& fn, A&&... args) {
        return weft::run_in_executor(pool, std::forward<F>(fn), std::forward<A>(args)...);
    }
    template <class F>
    auto submit(F&& fn) {
        return pool.submit(std::forward<F>(fn));
    }
    void shutdown(bool wait, bool cancel_pending) { pool.shutdown(wait, cancel_pending); }
    [[nodiscard]] weft::executor_stats stats() const { return pool.stats(); }
    [[nodiscard]] std::size_t max_workers() const { return pool.max_workers(); }
    weft::detail::executor_core& core() { return pool.core(); }

    weft::thread_pool pool;
};

struct inline_kind {
    static constexpr const char* name = "inline_executor";
    static constexpr bool is_inline = true;
    static constexpr bool is_tbb = false;

    explicit inline_kind(std::size_t /*workers*/ = 1) {}

    [[nodiscard]] weft::options options(std::size_t loops = 1) const { return {.loops = loops}; }
    template <class F, class... A>
    auto run(F&& fn, A&&... args) {
        return weft::run_in_executor(ex, std::forward<F>(fn), std::forward<A>(args)...);
    }
    template <class F>
    auto submit(F&& fn) {
        return ex.submit(std::forward<F>(fn));
    }
    void shutdown(bool wait, bool cancel_pending) { ex.shutdown(wait, cancel_pending); }
    [[nodiscard]] weft::executor_stats stats() const { return ex.stats(); }
    [[nodiscard]] std::size_t max_workers() const { return ex.max_workers(); }
    weft::detail::executor_core& core() { return ex.core(); }

    weft::inline_executor ex;
};

/// The runtime's shared tbb_pool. Its verbs need a loop thread the first time (the executor is
/// made on first use); core() remembers it so that another thread may shut it down afterwards.
struct default_kind {
    static constexpr const char* name = "default_executor";
    static constexpr bool is_inline = false;
    static constexpr bool is_tbb = true;

    explicit default_kind(std::size_t workers = 4) : workers_(workers) {}

    [[nodiscard]] weft::options options(std::size_t loops = 1) const {
        return {.loops = loops, .blocking_threads = workers_};
    }
    template <class F, class... A>
    auto run(F&& fn, A&&... args) {
        return weft::run_in_executor(nullptr, std::forward<F>(fn), std::forward<A>(args)...);
    }
    /// The default executor has no submit() of its own: to_thread(fn) is its one-callable form.
    template <class F>
    auto submit(F&& fn) {
        return weft::to_thread(std::forward<F>(fn));
    }
    void shutdown(bool wait, bool cancel_pending) { (void)core().shutdown(wait, cancel_pending); }
    [[nodiscard]] weft::executor_stats stats() { return core().stats(); }
    [[nodiscard]] std::size_t max_workers() { return core().max_workers(); }
    weft::detail::executor_core& core() {
        if (core_ == nullptr) {
            core_ = &weft::detail::default_executor_core();
        }
        return *core_;
    }

private:
    std::size_t workers_;
    weft::detail::executor_core* core_ = nullptr;
};

using all_kinds = ::testing::Types<tbb_pool_kind, thread_pool_kind, inline_kind, default_kind>;

struct kind_names {
    template <class K>
    static std::string GetName(int /*index*/) {
        return K::name;
    }
};

/// Runs body() (a coroutine returning weft::task<void>) under weft::run with the kind's options;
/// a cancelled_error that escapes it becomes a test failure rather than "unknown exception".
template <class Body>
void run_body(Body&& body, weft::options opts = {.loops = 1}) {
    try {
        weft::run(body(), opts);
    } catch (const weft::cancelled_error& e) {
        ADD_FAILURE() << "weft::cancelled_error escaped the test body: " << e.what();
    }
}

/// run_body with the kind's options (the default executor's size) on `loops` loops.
template <class Kind, class Body>
void run_with(const Kind& kind, Body&& body, std::size_t loops = 1) {
    run_body(std::forward<Body>(body), kind.options(loops));
}

} // namespace weft_exec_test
