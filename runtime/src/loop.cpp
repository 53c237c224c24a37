// weft::loop, the public face of a loop (loop.hpp), over its engine (loop_impl.hpp): running it,
// call_soon/call_later and their timers, what it reports. Also here: the detail entry points that
// the header templates call (scheduling, posting, timers, roots), and the callback timer
// (callback_timer.hpp) behind call_later/call_at.
#include "callback_timer.hpp"
#include "loop_impl.hpp"
#include "runtime.hpp"

#include <weft/runtime/log.hpp>
#include <weft/runtime/loop.hpp>

#include <cstddef>
#include <exception>

namespace weft {

// ---- detail ops --------------------------------------------------------------------------------

namespace detail {

void resume_frame(void* frame) noexcept {
    std::coroutine_handle<>::from_address(frame).resume();
}

void schedule(loop& l, runnable r) {
    l.impl().schedule(r);
}

void post(loop& l, unique_function<void()> f) {
    l.impl().post(std::move(f));
}

void resume_on(loop* l, std::coroutine_handle<> h) {
    if (l == nullptr) {
        h.resume();
    } else if (l == current_loop_ptr()) {
        l->impl().schedule(resume_runnable(h));
    } else {
        l->impl().post([h] { h.resume(); });
    }
}

void add_timer(loop& l, timer_node* n) {
    l.impl().add_timer(n);
}

void remove_timer(loop& l, timer_node* n) noexcept {
    l.impl().remove_timer(n);
}

clock::time_point loop_time(const loop& l) noexcept {
    return const_cast<loop&>(l).impl().now();
}

void root_started(loop& l, root_base* r) noexcept {
    l.impl().root_started(r);
}

void root_finished(loop& l, root_base* r) noexcept {
    l.impl().root_finished(r);
}

void root_reserved(loop& l) noexcept {
    l.impl().load.fetch_add(1, std::memory_order_relaxed);
}

void root_base::start() noexcept {
    root_started(*home_, this);
    const loop_impl::admit admit = home_->impl().admission(*this);
    if (admit == loop_impl::admit::refuse || cancel_.consume()) {
        finish_unstarted(); // cancelled before it started: it never runs
        return;
    }
    if (admit == loop_impl::admit::cancelled) {
        cancel_.request(); // runs, and meets cancelled_error at its first suspension point
    }
    resume_first();
}

loop& loop_at(std::size_t index) {
    loop& here = current_loop();
    runtime* rt = here.impl().rt;
    if (rt == nullptr) {
        if (index != 0) {
            throw invalid_state_error("weft::spawn_on(" + std::to_string(index) +
                                      "): a stand-alone loop has only loop 0");
        }
        return here;
    }
    return rt->loop_at(index);
}

loop& least_busy_loop() {
    loop& here = current_loop();
    runtime* rt = here.impl().rt;
    return rt == nullptr ? here : rt->least_busy();
}

// ---- callback timers ---------------------------------------------------------------------------

void callback_timer::arm(clock::time_point when) {
    when_ = when;
    node_.deadline = when;
    self_ = shared_from_this();
    add_timer(*loop_, &node_);
}

void callback_timer::disarm_on_loop() noexcept {
    remove_timer(*loop_, &node_);
    self_.reset(); // may destroy *this: last statement
}

void callback_timer::cancel() noexcept {
    if (cancelled_.exchange(true, std::memory_order_acq_rel)) {
        return;
    }
    if (current_loop_ptr() == loop_) {
        disarm_on_loop();
        return;
    }
    try {
        post(*loop_, [self = shared_from_this()] { self->disarm_on_loop(); });
    } catch (...) {
        // Out of memory: the flag alone keeps the callback from running when it falls due.
    }
}

void callback_timer::fire(timer_node* n) noexcept {
    callback_timer* t = static_cast<owned_node*>(n)->owner;
    std::shared_ptr<callback_timer> keep = std::move(t->self_);
    if (t->cancelled()) {
        return;
    }
    try {
        t->fn_();
    } catch (const std::exception& e) {
        log::runtime().error("loop {}: call_later callback threw: {}", t->loop_->id(), e.what());
    } catch (...) {
        log::runtime().error("loop {}: call_later callback threw", t->loop_->id());
    }
}

void callback_timer::discard(timer_node* n) noexcept {
    callback_timer* t = static_cast<owned_node*>(n)->owner;
    t->self_.reset();
}

} // namespace detail

// ---- public loop -------------------------------------------------------------------------------

loop& current_loop() {
    loop* l = detail::current_loop_ptr();
    if (l == nullptr) {
        throw invalid_state_error(
            "no weft loop runs on this thread: call this from a coroutine run by weft::run() or "
            "loop::run_until_complete()");
    }
    return *l;
}

void timer_handle::cancel() noexcept {
    if (t_) {
        t_->cancel();
    }
}

bool timer_handle::cancelled() const noexcept {
    return t_ && t_->cancelled();
}

clock::time_point timer_handle::when() const noexcept {
    return t_ ? t_->when() : clock::time_point{};
}

loop::loop() : loop(nullptr, 0) {}

loop::loop(detail::runtime* rt, std::size_t id)
    : impl_(std::make_unique<detail::loop_impl>(*this, rt, id)) {}

loop::~loop() {
    try {
        close();
    } catch (const std::exception& e) {
        log::runtime().error("loop {}: close() failed in the destructor: {}", id(), e.what());
    }
}

std::size_t loop::id() const noexcept {
    return impl_->id;
}

clock::time_point loop::time() const noexcept {
    return detail::loop_time(*this);
}

bool loop::is_running() const noexcept {
    return impl_->running.load(std::memory_order_acquire);
}

bool loop::is_closed() const noexcept {
    return impl_->closed;
}

std::size_t loop::task_count() const noexcept {
    return impl_->live_roots;
}

loop_stats loop::stats() const noexcept {
    return impl_->stats();
}

void loop::call_soon(detail::unique_function<void()> fn) {
    if (is_running() && !impl_->on_loop_thread()) {
        throw invalid_state_error(
            "loop::call_soon() called from another thread; use call_soon_threadsafe()");
    }
    auto* boxed = new detail::unique_function<void()>(std::move(fn));
    impl_->schedule({[](void* p) noexcept {
                         std::unique_ptr<detail::unique_function<void()>> f(
                             static_cast<detail::unique_function<void()>*>(p));
                         try {
                             (*f)();
                         } catch (const std::exception& e) {
                             log::runtime().error("call_soon callback threw: {}", e.what());
                         } catch (...) {
                             log::runtime().error("call_soon callback threw");
                         }
                     },
                     boxed});
}

void loop::call_soon_threadsafe(detail::unique_function<void()> fn) {
    if (impl_->closed) {
        throw invalid_state_error("loop::call_soon_threadsafe() on a closed loop");
    }
    impl_->post(std::move(fn));
}

timer_handle loop::call_later(clock::duration delay, detail::unique_function<void()> fn) {
    return call_at(time() + delay, std::move(fn));
}

timer_handle loop::call_at(clock::time_point t, detail::unique_function<void()> fn) {
    if (is_running() && !impl_->on_loop_thread()) {
        throw invalid_state_error("loop::call_at()/call_later() called from another thread");
    }
    auto timer = std::make_shared<detail::callback_timer>(*this, std::move(fn));
    timer->arm(t);
    return timer_handle{std::move(timer)};
}

void loop::check_can_run() const {
    if (impl_->closed) {
        throw invalid_state_error("weft::loop is closed");
    }
    if (is_running()) {
        throw invalid_state_error("weft::loop is already running");
    }
    if (detail::current_loop_ptr() != nullptr) {
        throw invalid_state_error(
            "cannot run a weft loop from inside a running loop; co_await the work instead");
    }
}

void loop::run_until_done(detail::future_state_base& s) {
    // Heap-allocated: if stop() ends the run first, the node stays in the future's waiter list
    // until the task finishes (close() unwinds it), and must then do nothing.
    struct stopper : detail::waiter_node {
        loop* l;
    };
    auto* node = new stopper;
    node->l = this;
    node->fire = [](detail::waiter_node* w) noexcept {
        std::unique_ptr<stopper> self(static_cast<stopper*>(w));
        if (self->l != nullptr) {
            self->l->stop();
        }
    };
    if (!s.add_waiter(node)) {
        delete node;
        return;
    }
    impl_->run();
    if (!s.done()) {
        node->l = nullptr; // orphaned; it fires on this loop's thread, as this code runs
    }
}

void loop::run_forever() {
    check_can_run();
    impl_->run();
}

void loop::stop() {
    impl_->stop();
}

void loop::close() {
    if (is_running()) {
        throw invalid_state_error("loop::close() called while the loop runs; stop() it first");
    }
    impl_->close();
}

} // namespace weft
