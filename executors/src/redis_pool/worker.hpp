#pragma once

// The worker's side of a redis pool (private): one server per serve_redis_calls, on a weft loop,
// with three Redis connections (commands; a reader blocked in XREADGROUP; a subscriber to the
// queue's cancel channel) and a process_pool whose children run the calls. Its code is in two
// files: worker.cpp (taking calls, running them, cancelling) and worker_results.cpp (storing
// results and acknowledging, dead letters, reclaiming calls of dead workers, renewing its own).
//
// A call taken is `held` from the moment it is read until its result is stored and its entry
// acknowledged and deleted (one MULTI per batch of results). Every member runs on the loop.

#include "connection.hpp"
#include "url.hpp"
#include "wire.hpp"

#include <weft/executors/process_pool.hpp>
#include <weft/executors/redis_pool.hpp>
#include <weft/runtime/clock.hpp>
#include <weft/runtime/event.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/task.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace weft::detail::rp {

/// A call a worker holds.
struct held_call {
    std::string caller; ///< field c
    std::uint64_t seq = 0;
    std::string reply;          ///< field r: the caller's result stream
    std::string name;           ///< field f
    future<std::string> result; ///< the local process pool's
    bool cancelled = false;     ///< its caller gave up: no result is stored
    bool abandoned = false;     ///< the worker let it go (drain timeout): not acknowledged
};

/// What to write for one call: a result (kind != 0) and its acknowledgement.
struct outcome {
    std::string entry;
    std::string reply;
    std::uint64_t seq = 0;
    char kind = 0; ///< result_value, result_error, result_dead; 0: acknowledge only
    std::string value;
    std::vector<std::string> dead_fields; ///< the call's fields, for the dead-letter stream
};

class server {
public:
    server(const redis_worker_options& o, process_pool& pool, weft::loop& l);
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    ~server();

    /// Serves until drain() finishes; returns the exit status.
    task<int> serve();
    /// Stops taking calls; finishes those held (or lets them go after drain_timeout).
    void drain();

private:
    // worker.cpp
    void commands_ready();
    void ensure_group();
    void read_more();
    void entries_arrived(redisReply* r);
    void take(std::string_view entry, const redisReply* fields, std::size_t deliveries);
    task<void> watch(std::string entry);
    void cancel_message(std::string_view token);
    void remember_cancel(const std::string& token);
    [[nodiscard]] std::size_t room() const noexcept;
    void check_done();

    // worker_results.cpp
    void settle(outcome o);
    void flush();
    void release_for_retry(const std::string& entry);
    void dead_letter(std::string_view entry, const redisReply* fields, std::size_t attempts);
    void reclaim();
    void claimed(redisReply* r, std::shared_ptr<std::unordered_map<std::string, std::size_t>> d);
    void heartbeat();
    /// Drops the reader when its XREADGROUP (BLOCK 1 s) has had no answer for far longer: a
    /// connection that died without a word (the keepalive would take half a minute).
    void check_reader();
    void arm_heartbeat();
    void arm_reclaim();
    /// fn, run only while this server lives (timers and callbacks queued on the loop outlive it).
    template <class F>
    unique_function<void()> guard(F fn) {
        return [alive = std::weak_ptr<int>(life_), fn = std::move(fn)]() mutable {
            if (alive.lock()) {
                fn();
            }
        };
    }

    redis_worker_options opts_;
    redis_address address_;
    queue_keys keys_;
    std::string me_; ///< consumer name
    std::string vis_ms_;
    process_pool& pool_;
    weft::loop& loop_;
    std::unique_ptr<connection> cmd_;
    std::unique_ptr<connection> reader_;
    std::unique_ptr<connection> sub_;

    std::unordered_map<std::string, held_call> held_;       ///< by entry id
    std::unordered_map<std::string, std::string> by_token_; ///< cancel token -> entry id
    std::unordered_set<std::string> cancelled_;             ///< tokens cancelled lately
    std::deque<std::string> cancelled_order_;               ///< their order, to bound them
    std::vector<outcome> outbox_;                           ///< waiting to be written
    std::size_t writing_ = 0;                               ///< outcomes in a MULTI on the wire
    bool flush_queued_ = false;
    bool group_ready_ = false;
    bool reading_ = false;
    clock::time_point read_sent_{}; ///< when the XREADGROUP out was sent
    bool reclaiming_ = false;
    bool draining_ = false;
    bool stopping_ = false;
    bool drain_expired_ = false;
    std::size_t capacity_ = 1;
    event done_;
    std::shared_ptr<int> life_ = std::make_shared<int>(0);
};

} // namespace weft::detail::rp
