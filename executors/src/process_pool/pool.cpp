// A process pool's calls (see pool.hpp): submitting one, sending queued calls to the least
// loaded worker with room, handling the frames a worker sends back (its replies complete calls
// in the order they were sent), and the awaiter's cancellation, which skips a call not yet
// started or kills the worker running it.

#include "pool.hpp"
#include "service.hpp"

#include <weft/runtime/log.hpp>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>

namespace weft::detail::pp {

namespace {

/// How long a cancelled call that became its worker's head may take to be reported skipped
/// before the worker is killed (it may have started just before the cancellation arrived).
constexpr auto abandoned_head_wait = std::chrono::milliseconds(20);

std::atomic<std::uint64_t> next_call_id{1};

/// The awaiter's future completed: when by cancellation, the call is cancelled here too.
void on_future_done(waiter_node* n) noexcept {
    remote_call_rec* rec = static_cast<remote_call_rec::hook*>(n)->rec;
    if (rec->state().cancelled()) {
        rec->pool->cancelled_by_awaiter(rec);
    }
    rec->release();
}

} // namespace

void end_call(remote_call_rec* rec, executor_core::job_end how) noexcept {
    rec->where = call_gone;
    pool_impl* p = rec->pool;
    rec->release();
    p->end_job(how); // may let the pool's destructor go on once the lock is released
}

pool_impl::pool_impl(process_pool::options o, service& s)
    : executor_core(o.name != nullptr ? o.name : "process_pool"), opts_(std::move(o)), svc_(s),
      target_(opts_.workers != 0 ? opts_.workers
                                 : std::max(1U, std::thread::hardware_concurrency())) {
    if (opts_.name == nullptr) {
        opts_.name = "process_pool";
    }
    if (opts_.max_batch == 0) {
        opts_.max_batch = 1;
    }
    init_frame_ = init_frame(opts_.max_message, opts_.initializer.payload());
}

// ---- submitting ---------------------------------------------------------------------------------

void pool_impl::submit(std::unique_ptr<remote_call_rec> rec) {
    const std::size_t args = rec->frame.size() - header_size;
    if (args > opts_.max_message) {
        throw message_too_large("process_pool '" + std::string(opts_.name) +
                                "': the arguments of '" + rec->name + "' are " +
                                std::to_string(args) + " bytes, over options.max_message (" +
                                std::to_string(opts_.max_message) + ")");
    }
    rec->id = next_call_id.fetch_add(1, std::memory_order_relaxed);
    finish_frame(rec->frame, msg::call, rec->id);
    rec->pool = this;
    accept(executor_core::job{}); // accounting; throws executor_shut_down
    completions comps;
    {
        auto lock = svc_.lock();
        if (broken_) {
            (void)begin_job(true);
            end_job(executor_core::job_end::failed);
            throw worker_init_error(broken_msg_);
        }
        rec->node.rec = rec.get();
        rec->node.fire = &on_future_done;
        rec->refs.store(2, std::memory_order_relaxed); // the pool's and the waiter's
        remote_call_rec* r = rec.release();
        r->where = call_queued;
        queue_.push_back(r);
        if (!r->state().add_waiter(&r->node)) {
            r->release(); // cannot happen: nobody has seen the future yet
        }
        dispatch(comps);
    }
    deliver(comps);
}

void pool_impl::begin_once(remote_call_rec* rec) noexcept {
    if (!rec->begun) {
        rec->begun = true;
        (void)begin_job(true);
    }
}

void pool_impl::cancel_queued() {
    completions comps;
    {
        auto lock = svc_.lock();
        while (!queue_.empty()) {
            remote_call_rec* rec = queue_.front();
            queue_.pop_front();
            begin_once(rec);
            rec->pool_cancelled = true;
            rec->where = call_finished;
            comps.push_back({completion::cancel, rec, {}, nullptr});
        }
    }
    deliver(comps);
}

// ---- sending ------------------------------------------------------------------------------------

worker* pool_impl::least_loaded_with_room() const noexcept {
    worker* best = nullptr;
    for (const auto& w : workers_) {
        if (w->state() != worker_state::ready || !w->io().writable() ||
            w->in_flight() >= opts_.max_batch || used_up(*w)) {
            continue;
        }
        if (best == nullptr || w->in_flight() < best->in_flight()) {
            best = w.get();
        }
    }
    return best;
}

bool pool_impl::any_starting() const noexcept {
    return std::any_of(workers_.begin(), workers_.end(),
                       [](const auto& w) { return is_starting(w->state()); });
}

void pool_impl::dispatch(completions& comps) {
    while (!queue_.empty()) {
        worker* best = least_loaded_with_room();
        if (best == nullptr) {
            break;
        }
        if (!best->idle() && any_starting()) {
            break; // rather than behind a running call, wait for the worker about to start
        }
        remote_call_rec* rec = queue_.front();
        queue_.pop_front();
        const bool first = !rec->begun;
        rec->begun = true;
        if (first && !begin_job(false)) { // shutdown(cancel_pending)
            rec->pool_cancelled = true;
            rec->where = call_finished;
            comps.push_back({completion::cancel, rec, {}, nullptr});
            continue;
        }
        send(*best, rec);
    }
    for (auto& w : workers_) {
        if (w->io().flush_due()) {
            w->io().flush();
        }
    }
}

void pool_impl::send(worker& w, remote_call_rec* rec) {
    rec->where = call_sent;
    rec->worker = &w;
    w.push_call(rec);
    if (w.in_flight() == 1) {
        new_head(w);
    }
    w.io().queue(rec->frame);
    if (w.io().unsent() > (std::size_t{1} << 16)) {
        w.io().flush();
    }
}

void pool_impl::new_head(worker& w) {
    const clock::time_point now = clock::now();
    w.set_head_times(now, never);
    if (w.idle()) {
        return;
    }
    if (w.head()->abandoned) {
        w.set_head_times(now, now + abandoned_head_wait);
        svc_.wake_for(w.abandoned_deadline());
    } else if (opts_.call_timeout.count() > 0) {
        svc_.wake_for(now + opts_.call_timeout);
    }
}

// ---- what workers send --------------------------------------------------------------------------

void pool_impl::read(worker& w, completions& comps) {
    const std::size_t limit = opts_.max_message + (std::size_t{1} << 20);
    const auto st = w.io().read(limit, [&](const frame& f) { on_frame(w, f, comps); });
    if (st == channel::read_status::malformed) {
        log::get("weft.exec")
            .error("process_pool '{}': worker {} sent a malformed frame; killing it", opts_.name,
                   w.pid());
        kill(w, worker_event::faulted);
    }
}

void pool_impl::read_reaped(completions& comps) {
    for (auto& w : workers_) {
        if (w->reaped() && w->io().is_open()) {
            read(*w, comps);
            // All it wrote is read. Its EOF may never come: a process it forked may hold its
            // socket. (Taken for dead with its fork server, it may live a moment longer; a reply
            // it sends then is lost, and its call fails as a crash.)
            w->io().close();
        }
    }
}

void pool_impl::on_frame(worker& w, const frame& f, completions& comps) {
    switch (f.type) {
    case msg::ready:
        if (w.on(worker_event::said_ready)) {
            init_failures_ = 0;
        }
        return;
    case msg::init_failed: {
        error_report r;
        (void)get_error_report(f.payload, r); // what there is of it
        w.set_start_error("the initializer '" + opts_.initializer.name() + "' raised " +
                          r.readable + (r.what.empty() ? "" : ": " + r.what));
        return;
    }
    case msg::ok:
    case msg::error:
    case msg::skipped:
        on_reply(w, f, comps);
        return;
    default:
        kill(w, worker_event::faulted);
        return;
    }
}

void pool_impl::on_reply(worker& w, const frame& f, completions& comps) {
    if (w.idle() || w.head()->id != f.id) {
        log::get("weft.exec")
            .error("process_pool '{}': worker {} answered an unexpected call; killing it",
                   opts_.name, w.pid());
        kill(w, worker_event::faulted);
        return;
    }
    remote_call_rec* rec = w.pop_head();
    new_head(w);
    if (rec->abandoned) {
        end_call(rec, f.type == msg::skipped ? executor_core::job_end::cancelled
                                             : executor_core::job_end::discarded);
        return;
    }
    rec->where = call_finished;
    if (f.type == msg::ok) {
        comps.push_back({completion::value, rec, std::string(f.payload), nullptr});
    } else if (f.type == msg::error) {
        comps.push_back({completion::error, rec, {}, remote_exception(rec->name, f.payload)});
    } else { // skipped without being cancelled: cannot happen; treat as lost
        comps.push_back({completion::error,
                         rec,
                         {},
                         std::make_exception_ptr(remote_error(rec->name, "weft::protocol",
                                                              "the worker skipped the call"))});
    }
}

// ---- cancellation -------------------------------------------------------------------------------

void pool_impl::cancelled_by_awaiter(remote_call_rec* rec) {
    auto lock = svc_.lock();
    if (!rec->pool_cancelled) {
        cancel(rec);
    }
}

void pool_impl::cancel(remote_call_rec* rec) {
    rec->cancel_seen = true;
    switch (rec->where) {
    case call_queued: {
        auto it = std::find(queue_.begin(), queue_.end(), rec);
        if (it != queue_.end()) {
            queue_.erase(it);
        }
        begin_once(rec);
        end_call(rec, executor_core::job_end::cancelled);
        break;
    }
    case call_sent: {
        worker& w = *rec->worker;
        if (!w.idle() && w.head() == rec) {
            // Running: kill its worker; the calls behind it go to other workers.
            w.pop_head();
            end_call(rec, executor_core::job_end::discarded);
            kill(w, worker_event::killed);
        } else {
            rec->abandoned = true;
            w.io().queue(empty_frame(msg::cancel, rec->id));
            if (!w.io().waiting_for_room()) {
                w.io().flush();
            }
        }
        break;
    }
    case call_finished:
        if (rec->delivery_failed) {
            end_call(rec, executor_core::job_end::discarded);
        }
        break;
    default:
        break;
    }
}

} // namespace weft::detail::pp
