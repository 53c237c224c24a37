// The engine of a loop (loop_impl.hpp) on its Asio io_context: the ready queue drained in batches
// so that I/O and timers get their turn, the inbox that other threads post to, the timer heap with
// one Asio timer armed for the earliest, the roots (top-level tasks) it runs and their shutdown,
// and the step metrics and the stall detector.
#include "loop_impl.hpp"

#include "callback_timer.hpp"
#include "debug_impl.hpp"
#include "signal_service.hpp"

#include <weft/runtime/log.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>

#include <time.h>

#include <exception>
#include <string>

namespace weft::detail {

namespace {

thread_local loop* tls_current = nullptr;

/// The stall detector's clock: CLOCK_MONOTONIC_COARSE costs a few nanoseconds (no TSC read), at
/// the resolution of the kernel tick (1-4 ms), ample for spotting 100 ms stalls; debug mode times
/// each step with the precise clock.
std::int64_t coarse_now_ns() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

/// Counter update by the only writer: a plain load and store, no read-modify-write.
template <class T, class U>
void bump(std::atomic<T>& a, U n) noexcept {
    a.store(a.load(std::memory_order_relaxed) + static_cast<T>(n), std::memory_order_relaxed);
}

} // namespace

loop* current_loop_ptr() noexcept {
    return tls_current;
}

loop_impl::loop_impl(loop& owner_, runtime* rt_, std::size_t id_)
    : owner(owner_), rt(rt_), id(id_), io_(1), timer_(io_) {
    ready_.reserve(256);
    batch_.reserve(256);
    if (rt == nullptr && debug_from_env()) {
        debug_ = true;
        debug_counted_ = true;
        debug_users.fetch_add(1, std::memory_order_relaxed);
    }
}

loop_impl::~loop_impl() {
    if (debug_counted_) {
        debug_users.fetch_sub(1, std::memory_order_relaxed);
    }
}

void loop_impl::configure(bool debug, std::chrono::nanoseconds slow,
                          virtual_clock* vclock) noexcept {
    debug_ = debug;
    slow_ = slow;
    vclock_ = vclock;
}

// ---- metrics and the stall detector -------------------------------------------------------------

void loop_impl::end_step(std::int64_t start_ns, std::int64_t end_ns, std::uint64_t steps,
                         const char* what) noexcept {
    bump(stats_.steps, steps);
    const std::chrono::nanoseconds took(end_ns - start_ns);
    if (took.count() > stats_.longest_ns.load(std::memory_order_relaxed)) {
        stats_.longest_ns.store(took.count(), std::memory_order_relaxed);
    }
    if (took >= slow_) {
        bump(stats_.stalls, 1);
        if (debug_ && what != nullptr) {
            warn_slow(took, what);
        }
    }
}

void loop_impl::warn_slow(std::chrono::nanoseconds took, const std::string& where) const noexcept {
    try {
        log::runtime().warn(
            "loop {}: a step took {:.1f} ms (slow_callback is {} ms) in {}; this blocked every "
            "other task on the loop: move blocking or CPU-heavy work to an executor with co_await "
            "weft::to_thread(...)",
            id, static_cast<double>(took.count()) / 1e6,
            std::chrono::duration_cast<std::chrono::milliseconds>(slow_).count(), where);
    } catch (...) {
    }
}

void loop_impl::run_batch_debug() noexcept {
    for (std::size_t i = 0; i < batch_.size(); ++i) {
        const runnable r = batch_[i];
        // Read what the step is before it runs: a coroutine may finish and free its frame.
        const void* code = reinterpret_cast<const void*>(r.fn);
        bool resumes = r.fn == &resume_frame;
        std::string task; // the task's name, copied: the step may free the task
        if (resumes) {
            code = frame_resume_fn(r.arg);
        } else if (r.fn == &root_base::start_step) {
            // A task's first step: name its coroutine, not the runnable that starts it.
            const auto* root = static_cast<const root_base*>(r.arg);
            if (const void* frame = root->frame()) {
                code = frame_resume_fn(frame);
                resumes = true;
            }
            task = root->name();
        }
        const clock::time_point start = clock::now();
        r.fn(r.arg);
        const auto took = clock::now() - start;
        if (took >= slow_) {
            std::string where = (resumes ? "coroutine " : "callback ") + symbol_name(code);
            if (!task.empty()) {
                where = "task '" + task + "' (" + where + ")";
            }
            warn_slow(std::chrono::duration_cast<std::chrono::nanoseconds>(took), where);
        }
    }
}

loop_stats loop_impl::stats() const noexcept {
    loop_stats s;
    s.loop_id = id;
    s.tasks_created = stats_.tasks_created.load(std::memory_order_relaxed);
    s.live_tasks = live_roots.load(std::memory_order_relaxed);
    s.steps_run = stats_.steps.load(std::memory_order_relaxed);
    s.ready_depth = stats_.ready_depth.load(std::memory_order_relaxed);
    s.timers_pending = stats_.timers.load(std::memory_order_relaxed);
    s.longest_step = std::chrono::nanoseconds(stats_.longest_ns.load(std::memory_order_relaxed));
    s.stalls = stats_.stalls.load(std::memory_order_relaxed);
    return s;
}

std::optional<clock::time_point> loop_impl::next_deadline() const noexcept {
    if (heap_.empty()) {
        return std::nullopt;
    }
    return heap_.front()->deadline;
}

void loop_impl::cancel_main() noexcept {
    for (root_base* r = roots_head_; r != nullptr; r = r->next_) {
        if (r->main_) {
            r->request_cancel();
        }
    }
}

bool loop_impl::on_loop_thread() const noexcept {
    return thread_.load(std::memory_order_acquire) == std::this_thread::get_id();
}

// ---- ready queue -------------------------------------------------------------------------------

void loop_impl::schedule(runnable r) {
    ready_.push_back(r);
    if (!drain_posted_) {
        drain_posted_ = true;
        asio::post(io_, [this] { drain_ready(); });
    }
}

void loop_impl::drain_ready() noexcept {
    // Run what is ready now; what those steps schedule forms the next batch. A few batches run
    // back to back (cheap: no Asio round trip per yield), then the drain re-posts itself so that
    // I/O, timers and the inbox get their turn (asyncio's one-iteration-at-a-time fairness).
    constexpr int batches_per_turn = 16;
    constexpr std::size_t large_queue = 64 * 1024;
    // Each batch is one step for the stall detector: a clock read per batch, not per step.
    std::int64_t start = coarse_now_ns();
    for (int turn = 0; turn < batches_per_turn && !ready_.empty() &&
                       !stop_requested_.load(std::memory_order_relaxed);
         ++turn) {
        batch_.swap(ready_);
        if (debug_) {
            run_batch_debug();
        } else {
            for (std::size_t i = 0; i < batch_.size(); ++i) {
                batch_[i].fn(batch_[i].arg);
            }
        }
        const std::size_t steps = batch_.size();
        batch_.clear();
        const std::int64_t end = coarse_now_ns();
        end_step(start, end, steps, nullptr); // debug mode warned per step already
        start = end;
    }
    stats_.ready_depth.store(ready_.size(), std::memory_order_relaxed);
    // Give a burst's memory back once it has drained.
    if (batch_.capacity() > large_queue) {
        std::vector<runnable>().swap(batch_);
    }
    if (ready_.capacity() > large_queue && ready_.size() < large_queue / 8) {
        std::vector<runnable>(ready_.begin(), ready_.end()).swap(ready_);
    }
    drain_posted_ = false;
    if (!ready_.empty()) {
        drain_posted_ = true;
        asio::post(io_, [this] { drain_ready(); });
    }
}

// ---- inbox -------------------------------------------------------------------------------------

void loop_impl::post(unique_function<void()> f) {
    // Everything happens under the lock: once the loop has taken f (under the same lock), this
    // thread no longer touches the loop, which may then finish its work and be destroyed (the
    // callback that completes the last awaited future can be the one that lets weft::run return).
    std::lock_guard lock(inbox_mtx_);
    inbox_.push_back(std::move(f));
    // One wake-up per batch: only the producer that flips the flag posts to the io_context.
    if (!wake_pending_.exchange(true, std::memory_order_acq_rel)) {
        asio::post(io_, [this] { drain_inbox(); });
    }
}

void loop_impl::drain_inbox() noexcept {
    // Clear the flag before taking the batch: a producer that pushes after the swap sees false
    // and posts a fresh drain; one that pushed before it is in this batch.
    wake_pending_.store(false, std::memory_order_release);
    {
        std::lock_guard lock(inbox_mtx_);
        inbox_batch_.swap(inbox_);
    }
    const std::int64_t start = coarse_now_ns();
    for (auto& f : inbox_batch_) {
        try {
            f();
        } catch (const std::exception& e) {
            log::runtime().error("loop {}: callback threw: {}", id, e.what());
        } catch (...) {
            log::runtime().error("loop {}: callback threw a non-standard exception", id);
        }
    }
    end_step(start, coarse_now_ns(), inbox_batch_.size(),
             "callbacks from other threads (call_soon_threadsafe, task starts)");
    inbox_batch_.clear();
}

// ---- timers: an intrusive binary min-heap, one asio timer armed for the earliest -------------

bool loop_impl::heap_less(std::size_t a, std::size_t b) const noexcept {
    const timer_node* x = heap_[a];
    const timer_node* y = heap_[b];
    return x->deadline < y->deadline || (x->deadline == y->deadline && x->seq < y->seq);
}

void loop_impl::heap_swap(std::size_t a, std::size_t b) noexcept {
    std::swap(heap_[a], heap_[b]);
    heap_[a]->heap_index = a;
    heap_[b]->heap_index = b;
}

void loop_impl::heap_up(std::size_t i) noexcept {
    while (i > 0) {
        std::size_t parent = (i - 1) / 2;
        if (!heap_less(i, parent)) {
            break;
        }
        heap_swap(i, parent);
        i = parent;
    }
}

void loop_impl::heap_down(std::size_t i) noexcept {
    const std::size_t n = heap_.size();
    for (;;) {
        std::size_t l = 2 * i + 1;
        std::size_t r = l + 1;
        std::size_t m = i;
        if (l < n && heap_less(l, m)) {
            m = l;
        }
        if (r < n && heap_less(r, m)) {
            m = r;
        }
        if (m == i) {
            return;
        }
        heap_swap(i, m);
        i = m;
    }
}

void loop_impl::add_timer(timer_node* n) {
    n->seq = ++timer_seq_;
    n->heap_index = heap_.size();
    heap_.push_back(n);
    heap_up(n->heap_index);
    stats_.timers.store(heap_.size(), std::memory_order_relaxed);
    if (heap_.front() == n) {
        arm_timer();
    }
}

void loop_impl::remove_timer(timer_node* n) noexcept {
    if (!n->armed()) {
        return;
    }
    std::size_t i = n->heap_index;
    std::size_t last = heap_.size() - 1;
    if (i != last) {
        heap_swap(i, last);
    }
    heap_.pop_back();
    stats_.timers.store(heap_.size(), std::memory_order_relaxed);
    n->heap_index = timer_node::npos;
    if (i < heap_.size()) {
        heap_down(i);
        heap_up(i);
    }
    // The armed asio timer may now be early; its wake-up finds nothing due and re-arms.
}

void loop_impl::arm_timer() {
    if (vclock_ != nullptr) {
        return; // virtual time: weft::advance() fires the timers
    }
    clock::time_point due = heap_.front()->deadline;
    if (due == armed_for_) {
        return;
    }
    armed_for_ = due;
    timer_.expires_at(due); // cancels the previous wait, whose handler sees operation_aborted
    timer_.async_wait([this](const std::error_code& ec) {
        if (ec != asio::error::operation_aborted) {
            on_timer();
        }
    });
}

void loop_impl::on_timer() noexcept {
    armed_for_ = clock::time_point::max();
    const clock::time_point now = this->now();
    const std::int64_t start = coarse_now_ns();
    std::uint64_t fired = 0;
    while (!heap_.empty() && heap_.front()->deadline <= now) {
        timer_node* n = heap_.front();
        remove_timer(n);
        n->fire(n);
        ++fired;
    }
    end_step(start, coarse_now_ns(), fired, "timer callbacks (call_later)");
    if (!heap_.empty()) {
        try {
            arm_timer();
        } catch (const std::exception& e) {
            log::runtime().critical("loop {}: cannot arm its timer: {}", id, e.what());
        }
    }
}

// ---- roots -------------------------------------------------------------------------------------

void loop_impl::root_started(root_base* r) noexcept {
    r->prev_ = roots_tail_;
    r->next_ = nullptr;
    if (roots_tail_ != nullptr) {
        roots_tail_->next_ = r;
    } else {
        roots_head_ = r;
    }
    roots_tail_ = r;
    live_roots.store(live_roots.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    bump(stats_.tasks_created, 1);
    if (r->main_) {
        ++main_live_;
    }
}

void loop_impl::root_finished(root_base* r) noexcept {
    (r->prev_ != nullptr ? r->prev_->next_ : roots_head_) = r->next_;
    (r->next_ != nullptr ? r->next_->prev_ : roots_tail_) = r->prev_;
    r->prev_ = r->next_ = nullptr;
    live_roots.store(live_roots.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    if (r->main_) {
        --main_live_;
    }
    load.fetch_sub(1, std::memory_order_acq_rel);
    check_drained();
}

void loop_impl::check_drained() noexcept {
    if (!on_drained_) {
        return;
    }
    // load counts roots handed to this loop and not finished, started or not (a start may still
    // sit in the ready queue or the inbox).
    const std::size_t keep = drain_main_ ? 0 : main_live_;
    if (load.load(std::memory_order_acquire) > keep) {
        return;
    }
    auto f = std::move(on_drained_);
    f();
}

void loop_impl::begin_shutdown(bool include_main, unique_function<void()> on_drained) {
    drain_main_ = include_main;
    closing = true;
    on_drained_ = std::move(on_drained);
    // Hooks only queue resumptions, so no root finishes (and unlinks) while we walk the list.
    for (root_base* r = roots_head_; r != nullptr; r = r->next_) {
        if (include_main || !r->main_) {
            r->request_cancel();
        }
    }
    check_drained();
}

// ---- running -----------------------------------------------------------------------------------

void loop_impl::stop() {
    stop_requested_.store(true, std::memory_order_release);
    io_.stop();
}

void loop_impl::run() {
    loop* previous = tls_current;
    tls_current = &owner;
    thread_.store(std::this_thread::get_id(), std::memory_order_release);
    running.store(true, std::memory_order_release);
    struct restore {
        loop_impl* self;
        loop* previous;
        ~restore() {
            self->stop_requested_.store(false, std::memory_order_release);
            self->running.store(false, std::memory_order_release);
            self->thread_.store(std::thread::id{}, std::memory_order_release);
            tls_current = previous;
        }
    } guard{this, previous};
    io_.restart();
    if (stop_requested_.exchange(false, std::memory_order_acq_rel)) {
        // stop() before run: one pass over what is ready now, then return (asyncio's rule). The
        // stop is queued behind what is ready, so what that work queues waits for the next run.
        asio::post(io_, [this] { io_.stop(); });
        io_.run();
        return;
    }
    auto work = asio::make_work_guard(io_);
    io_.run();
}

void loop_impl::close() {
    if (closed.load(std::memory_order_acquire)) {
        return;
    }
    if (load.load(std::memory_order_acquire) > 0) {
        // Unwind every task still handed to this loop, from inside the loop (cancel hooks touch
        // loop state): started ones are cancelled, unstarted ones finish as cancelled when their
        // start comes up, without running.
        closing = true;
        drain_main_ = true;
        stop_requested_.store(false, std::memory_order_release);
        post([this] { begin_shutdown(/*include_main=*/true, [this] { stop(); }); });
        run();
    }
    if (rt == nullptr) {
        extensions.shutdown_all();
        own_signals.reset();
    }
    // Drop what can never run now: callbacks in the inbox, disarmed timers.
    {
        std::lock_guard lock(inbox_mtx_);
        inbox_.clear();
    }
    while (!heap_.empty()) {
        timer_node* n = heap_.back();
        remove_timer(n);
        if (callback_timer::owns(n)) {
            callback_timer::discard(n);
        }
    }
    closed.store(true, std::memory_order_release);
}

} // namespace weft::detail
