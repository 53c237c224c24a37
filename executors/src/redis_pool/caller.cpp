// The caller's side of a redis pool (caller.hpp): handing calls to the I/O loop, sending them with
// XADD (at most max_in_flight in Redis at once; hiredis pipelines the commands of one loop turn
// into one write), reading results in batches with XREAD BLOCK and deleting what was read,
// cancellations and timeouts (XDEL of the entry and a message on the cancel channel), and what a
// lost connection or a restarted Redis means for the calls in flight.

#include "caller.hpp"

#include "../process_pool/protocol.hpp"

#include <weft/runtime/error.hpp>
#include <weft/runtime/log.hpp>

#include <hiredis/hiredis.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>

namespace weft::detail::rp {

namespace {

/// The awaiter's future completed: when by cancellation, the pool forgets the call remotely.
void on_future_done(waiter_node* n) noexcept {
    redis_call_rec* rec = static_cast<redis_call_rec::hook*>(n)->rec;
    if (rec->state().cancelled()) {
        rec->pool->cancelled_by_awaiter(rec); // takes the waiter's reference
        return;
    }
    rec->release();
}

std::string new_caller_id() {
    std::random_device rd;
    const std::uint64_t r = (std::uint64_t{rd()} << 32) ^ rd();
    char buf[40];
    std::snprintf(buf, sizeof buf, "%d-%016llx", static_cast<int>(::getpid()),
                  static_cast<unsigned long long>(r));
    return buf;
}

} // namespace

caller::caller(redis_pool::options o)
    : executor_core(o.name != nullptr ? o.name : "redis_pool"), opts_(std::move(o)),
      address_(parse_redis_url(opts_.url, opts_.user, opts_.password)), keys_(opts_.queue),
      id_(new_caller_id()), results_key_(keys_.results(id_)) {
    if (opts_.name == nullptr) {
        opts_.name = "redis_pool";
    }
    if (opts_.max_attempts == 0 || opts_.max_in_flight == 0 || opts_.connect_timeout.count() <= 0 ||
        opts_.call_timeout.count() < 0 || opts_.result_ttl.count() <= 0) {
        throw std::invalid_argument(
            "redis_pool: max_attempts, max_in_flight, connect_timeout and result_ttl must be "
            "positive, call_timeout not negative");
    }
    max_attempts_ = std::to_string(opts_.max_attempts);
    std::promise<void> started;
    auto ready = started.get_future();
    thread_ = std::thread([this, &started] { run_loop(started); });
    ready.wait();
}

caller::~caller() {
    loop_->call_soon_threadsafe([this] {
        closing_ = true;
        cmd_->close();
        reader_->close();
        for (redis_call_rec* rec : waiting_) {
            rec->release(); // only calls that ended while waiting are left after shutdown(wait)
        }
        waiting_.clear();
        loop_->stop();
    });
    thread_.join();
}

void caller::run_loop(std::promise<void>& started) {
    weft::loop l;
    loop_ = &l;
    connection::config cfg{address_, opts_.connect_timeout, opts_.name};
    cmd_ = std::make_unique<connection>(
        l, cfg, [this] { commands_ready(); },
        [this](const std::string&) {
            connected_.store(false, std::memory_order_relaxed);
            if (down_since_ == clock::time_point{}) {
                down_since_ = loop_->time();
            }
            arm_sweep();
        });
    reader_ = std::make_unique<connection>(
        l, cfg, [this] { read_results(); }, [this](const std::string&) { reading_ = false; });
    down_since_ = l.time();
    l.call_soon([this, &started] {
        cmd_->start();
        reader_->start();
        started.set_value();
    });
    l.run_forever();
    cmd_.reset();
    reader_.reset();
    l.close();
}

// ---- submitting ---------------------------------------------------------------------------------

void submit_redis(caller& c, redis_call_rec* rec) {
    c.submit(rec);
}

void caller::submit(redis_call_rec* r) {
    std::unique_ptr<redis_call_rec> rec(r);
    if (rec->payload.size() > opts_.max_message) {
        throw message_too_large("redis_pool '" + std::string(opts_.name) + "': the arguments of '" +
                                rec->name + "' are " + std::to_string(rec->payload.size()) +
                                " bytes, over options.max_message (" +
                                std::to_string(opts_.max_message) + ")");
    }
    accept(executor_core::job{}); // accounting; throws executor_shut_down
    if (held_.fetch_add(1, std::memory_order_relaxed) >= opts_.max_waiting) {
        held_.fetch_sub(1, std::memory_order_relaxed);
        (void)begin_job(true);
        end_job(executor_core::job_end::failed);
        throw broker_error("redis_pool '" + std::string(opts_.name) +
                           "': " + std::to_string(opts_.max_waiting) +
                           " calls already wait for room (options.max_waiting)");
    }
    rec->pool = this;
    rec->node.rec = rec.get();
    rec->node.fire = &on_future_done;
    rec->refs.store(2, std::memory_order_relaxed); // the pool's and the waiter's
    redis_call_rec* p = rec.release();
    if (!p->state().add_waiter(&p->node)) {
        p->release(); // cannot happen: nobody has seen the future yet
    }
    loop_->call_soon_threadsafe([this, p] { take(p); });
}

void caller::take(redis_call_rec* rec) {
    rec->seq = next_seq_++;
    rec->where = place_waiting;
    rec->submitted = loop_->time();
    calls_.emplace(rec->seq, rec);
    if (opts_.call_timeout.count() > 0) {
        deadlines_.emplace_back(rec->submitted + opts_.call_timeout, rec->seq);
    }
    waiting_.push_back(rec);
    rec->in_waiting = true;
    pump();
    arm_sweep();
}

void caller::begin_once(redis_call_rec* rec) noexcept {
    if (!rec->begun) {
        rec->begun = true;
        (void)begin_job(false);
    }
}

void caller::pump() {
    while (!closing_ && cmd_->ready() && sent_ < opts_.max_in_flight && !waiting_.empty()) {
        redis_call_rec* rec = waiting_.front();
        waiting_.pop_front();
        rec->in_waiting = false;
        held_.fetch_sub(1, std::memory_order_relaxed);
        if (rec->where == place_gone) {
            rec->release(); // ended while waiting
            continue;
        }
        rec->where = place_sent;
        ++sent_;
        begin_once(rec);
        send_call(rec);
    }
}

void caller::send_call(redis_call_rec* rec) {
    const std::string seq = std::to_string(rec->seq);
    const std::uint64_t n = rec->seq;
    rec->entry.clear();
    cmd_->command({"XADD", keys_.calls, "*", "c", id_, "n", seq, "r", results_key_, "m",
                   max_attempts_, "f", rec->name, "a", rec->payload},
                  [this, n](redisReply* r) { xadd_replied(n, r); });
}

void caller::xadd_replied(std::uint64_t seq, redisReply* r) {
    if (closing_) {
        return;
    }
    auto it = calls_.find(seq);
    const bool live = it != calls_.end() && it->second->where == place_sent;
    if (r == nullptr) { // the connection went: whether Redis has the call is unknown
        if (live) {
            unconfirmed_.push_back(seq);
        }
        return;
    }
    if (!live) { // done or cancelled before the reply: the entry is not needed
        if (r->type == REDIS_REPLY_STRING) {
            cmd_->command({"XDEL", keys_.calls, reply_text(r)}, [](redisReply*) {});
        }
        return;
    }
    redis_call_rec* rec = it->second;
    if (r->type != REDIS_REPLY_STRING) {
        const std::string why(reply_text(r));
        drop(rec, false);
        fail(rec, std::make_exception_ptr(broker_error("redis_pool '" + std::string(opts_.name) +
                                                       "': Redis refused the call to '" +
                                                       rec->name + "': " + why)));
        pump();
        return;
    }
    rec->entry.assign(reply_text(r));
}

// ---- connection events
// ----------------------------------------------------------------------------

// The command connection is up: learn the server's run id; a new one means Redis restarted, and
// every call in flight is sent again (with persistence off, or AOF written once a second, it may
// have lost them). Otherwise only the calls whose XADD reply was lost are sent again.
void caller::commands_ready() {
    connected_.store(true, std::memory_order_relaxed);
    down_since_ = clock::time_point{};
    cmd_->command({"INFO", "server"}, [this](redisReply* r) {
        if (closing_ || r == nullptr) {
            return;
        }
        bool restarted = false;
        const std::string_view info = reply_text(r);
        if (const auto at = info.find("run_id:"); at != std::string_view::npos) {
            const std::string_view rest = info.substr(at + 7);
            const std::string id(rest.substr(0, rest.find_first_of("\r\n")));
            restarted = !run_id_.empty() && id != run_id_;
            run_id_ = id;
        }
        resend(restarted);
        pump();
    });
}

void caller::resend(bool all) {
    std::vector<std::uint64_t> seqs;
    if (all) {
        for (const auto& [seq, rec] : calls_) {
            if (rec->where == place_sent) {
                seqs.push_back(seq);
            }
        }
    } else {
        seqs.swap(unconfirmed_);
    }
    unconfirmed_.clear();
    std::sort(seqs.begin(), seqs.end());
    for (const std::uint64_t seq : seqs) {
        auto it = calls_.find(seq);
        if (it != calls_.end() && it->second->where == place_sent) {
            send_call(it->second);
            resent_.fetch_add(1, std::memory_order_relaxed);
        }
    }
    if (!seqs.empty()) {
        log::get("weft.exec")
            .info("{}: sent {} call(s) again after {}", opts_.name, seqs.size(),
                  all ? "Redis restarted" : "a lost connection");
    }
}

// ---- results ------------------------------------------------------------------------------------

namespace {
constexpr int read_block_ms = 2000; // an XREAD's longest wait; the watchdog allows this + connect
} // namespace

void caller::read_results() {
    if (reading_ || closing_ || !reader_->ready()) {
        return;
    }
    reading_ = true;
    read_sent_ = loop_->time();
    static const std::string block = std::to_string(read_block_ms);
    reader_->command(
        {"XREAD", "COUNT", "1024", "BLOCK", block, "STREAMS", results_key_, last_result_},
        [this](redisReply* r) {
            reading_ = false;
            results_arrived(r);
        });
    arm_sweep();
}

// A batch of results: [[key, [[id, [field, value, ...]], ...]]]. Each completes its call if the
// call is still live (a second result for the same call finds none and is dropped); the batch is
// then deleted from the stream.
void caller::results_arrived(redisReply* r) {
    if (closing_ || r == nullptr) {
        return; // a new connection reads again from last_result_
    }
    if (r->type == REDIS_REPLY_ERROR) {
        log::get("weft.exec").warn("{}: reading results failed: {}", opts_.name, reply_text(r));
        loop_->call_later(std::chrono::milliseconds(200), [this] { read_results(); });
        return;
    }
    std::vector<std::string_view> del{"XDEL", results_key_};
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
        r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2) {
        const redisReply* entries = r->element[0]->element[1];
        for (std::size_t i = 0; entries->type == REDIS_REPLY_ARRAY && i < entries->elements; ++i) {
            const redisReply* e = entries->element[i];
            if (e->type != REDIS_REPLY_ARRAY || e->elements != 2) {
                continue;
            }
            del.push_back(reply_text(e->element[0]));
            const redisReply* fields = e->element[1];
            std::uint64_t seq = 0;
            const std::string_view kind = entry_field(fields, "k");
            if (!parse_u64(entry_field(fields, "n"), seq) || kind.size() != 1) {
                continue;
            }
            auto it = calls_.find(seq);
            if (it != calls_.end() && it->second->where == place_sent) {
                complete(it->second, kind[0], entry_field(fields, "v"));
            }
        }
        if (del.size() > 2) {
            last_result_.assign(del.back());
        }
    }
    if (del.size() > 2 && cmd_->ready()) {
        cmd_->command(del, [](redisReply*) {});
    }
    pump();
    read_results();
}

void caller::complete(redis_call_rec* rec, char kind, std::string_view value) {
    drop(rec, false);
    if (kind == result_value) {
        bool delivered = false;
        try {
            delivered = rec->deliver(value);
        } catch (const std::exception& e) {
            fail(rec, std::make_exception_ptr(
                          remote_error(rec->name, "cereal::Exception",
                                       std::string("could not read the result: ") + e.what())));
            return;
        }
        finish(rec, delivered, executor_core::job_end::completed);
        return;
    }
    if (kind == result_error) {
        fail(rec, pp::remote_exception(rec->name, value));
        return;
    }
    if (kind == result_dead) {
        std::uint64_t attempts = 0;
        (void)parse_u64(value, attempts);
        fail(rec, std::make_exception_ptr(dead_letter_error(
                      "redis_pool '" + std::string(opts_.name) + "': the call to '" + rec->name +
                          "' was delivered " + std::to_string(attempts) +
                          " times and never finished (its worker died each time); it is in " +
                          keys_.dead,
                      attempts)));
        return;
    }
    fail(rec, std::make_exception_ptr(
                  broker_error("redis_pool: a result of unknown kind for '" + rec->name + "'")));
}

void caller::drop(redis_call_rec* rec, bool forget) {
    calls_.erase(rec->seq);
    if (rec->where == place_sent) {
        --sent_;
        if (forget) {
            forget_remotely(rec);
        }
    }
    if (rec->in_waiting) {
        ++ended_waiting_; // it stays in waiting_ until pump() or prune_waiting() drops it
    }
    rec->where = place_gone;
}

void caller::fail(redis_call_rec* rec, std::exception_ptr e) {
    finish(rec, rec->fail(std::move(e)), executor_core::job_end::failed);
}

// Ends a dropped call's accounting. A call still in waiting_ keeps the pool's reference there.
void caller::finish(redis_call_rec* rec, bool delivered, executor_core::job_end how) {
    begin_once(rec);
    end_job(delivered ? how : executor_core::job_end::discarded);
    if (!rec->in_waiting) {
        rec->release();
    }
}

// ---- cancellation, timeouts, an unreachable Redis -----------------------------------------------

void caller::cancelled_by_awaiter(redis_call_rec* rec) {
    try {
        loop_->call_soon_threadsafe([this, rec] { cancel_on_loop(rec); });
    } catch (...) {
        rec->release(); // the loop is closed: the pool is gone with its calls
    }
}

void caller::cancel_on_loop(redis_call_rec* rec) {
    if (rec->where == place_waiting || rec->where == place_sent) {
        drop(rec, true);
        begin_once(rec);
        end_job(executor_core::job_end::cancelled);
        if (!rec->in_waiting) {
            rec->release(); // the pool's reference
        }
        pump();
    }
    rec->release(); // the waiter's
}

void caller::forget_remotely(redis_call_rec* rec) {
    if (!cmd_->ready()) {
        return; // a worker that runs it later finds its result dropped
    }
    if (!rec->entry.empty()) {
        cmd_->command({"XDEL", keys_.calls, rec->entry}, [](redisReply*) {});
    }
    cmd_->command({"PUBLISH", keys_.cancel, cancel_token(id_, rec->seq)}, [](redisReply*) {});
}

void caller::cancel_waiting() {
    loop_->call_soon_threadsafe([this] {
        for (redis_call_rec* rec : waiting_) {
            if (rec->where == place_waiting) {
                drop(rec, false);
                rec->cancel_future();
                begin_once(rec);
                end_job(executor_core::job_end::cancelled);
            }
        }
    });
}

// Every quarter second (sooner for a call_timeout due): calls past call_timeout fail with
// timeout_error and are forgotten remotely (a running one is killed by its worker); while Redis is
// unreachable, calls it may not have fail after connect_timeout; an XREAD with no answer long
// after its BLOCK ran out means a dead connection, which is dropped and made again.
void caller::arm_sweep() {
    if (sweep_armed_ || closing_) {
        return;
    }
    sweep_armed_ = true;
    auto next = loop_->time() + std::chrono::milliseconds(250);
    if (!deadlines_.empty() && deadlines_.front().first < next) {
        next = deadlines_.front().first;
    }
    loop_->call_at(next, [this] { sweep(); });
}

void caller::sweep() {
    sweep_armed_ = false;
    if (closing_) {
        return;
    }
    const clock::time_point now = loop_->time();
    while (!deadlines_.empty() && deadlines_.front().first <= now) {
        const std::uint64_t seq = deadlines_.front().second;
        deadlines_.pop_front();
        auto it = calls_.find(seq);
        if (it == calls_.end()) {
            continue;
        }
        redis_call_rec* rec = it->second;
        drop(rec, true);
        fail(rec, std::make_exception_ptr(
                      timeout_error("redis_pool '" + std::string(opts_.name) + "': the call to '" +
                                    rec->name + "' took longer than call_timeout (" +
                                    std::to_string(opts_.call_timeout.count()) + " ms)")));
    }
    fail_unreachable(now);
    prune_waiting();
    if (reading_ &&
        now - read_sent_ > std::chrono::milliseconds(read_block_ms) + opts_.connect_timeout) {
        reading_ = false;
        reader_->reset("no answer to XREAD for " +
                       std::to_string(read_block_ms + opts_.connect_timeout.count()) + " ms");
    }
    pump();
    arm_sweep();
}

// Calls Redis may not have fail once it has been unreachable for connect_timeout (since the call
// was made, or since it went down). Calls it has are kept for its return (with persistence, a
// restart loses none), except once the pool is shut down: then every call fails, so that a
// destructor waits for an absent Redis no longer than connect_timeout.
void caller::fail_unreachable(clock::time_point now) {
    if (cmd_->ready() || down_since_ == clock::time_point{}) {
        return;
    }
    const bool all = is_shut_down();
    std::vector<redis_call_rec*> late;
    for (const auto& [seq, rec] : calls_) {
        const bool unsure =
            all || rec->where == place_waiting || (rec->where == place_sent && rec->entry.empty());
        if (unsure && now - std::max(down_since_, rec->submitted) >= opts_.connect_timeout) {
            late.push_back(rec);
        }
    }
    for (redis_call_rec* rec : late) {
        drop(rec, false);
        fail(rec, std::make_exception_ptr(broker_error(
                      "redis_pool '" + std::string(opts_.name) + "': Redis at " + address_.where() +
                      " unreachable for " + std::to_string(opts_.connect_timeout.count()) +
                      " ms (options.connect_timeout): " + cmd_->last_error())));
    }
}

// Calls that ended while waiting (cancelled, timed out, failed) leave waiting_ here rather than
// when pump() reaches them, which it does not while Redis is down: their memory and their place
// under max_waiting are given back.
void caller::prune_waiting() {
    if (ended_waiting_ == 0) {
        return;
    }
    ended_waiting_ = 0;
    std::erase_if(waiting_, [this](redis_call_rec* rec) {
        if (rec->where != place_gone) {
            return false;
        }
        rec->in_waiting = false;
        held_.fetch_sub(1, std::memory_order_relaxed);
        rec->release();
        return true;
    });
}

} // namespace weft::detail::rp
