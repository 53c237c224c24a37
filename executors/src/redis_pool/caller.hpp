#pragma once

// The caller's side of a redis pool (private): the pool's own I/O thread runs a weft loop with two
// Redis connections, one for commands (XADD of calls, XDEL, PUBLISH of cancellations) and one
// that reads the caller's result stream (XREAD BLOCK); submitters on any thread hand calls over
// with call_soon_threadsafe, and results complete their futures from the I/O loop.
//
// A call's place (redis_call_rec::where) moves waiting -> sent -> gone: waiting in the pool
// (beyond max_in_flight, or while Redis is down), sent (XADD issued; in_redis_ by its number),
// gone (completed, cancelled or failed; only references are left). Everything but submit(),
// cancelled_by_awaiter() and the counters runs on the I/O loop's thread.

#include "connection.hpp"
#include "url.hpp"
#include "wire.hpp"

#include <weft/executors/redis_pool.hpp>
#include <weft/runtime/loop.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace weft::detail::rp {

enum call_place : int { place_new = 0, place_waiting, place_sent, place_gone };

class caller final : public executor_core {
public:
    explicit caller(redis_pool::options o);
    ~caller() override;

    [[nodiscard]] std::size_t max_workers() const noexcept override { return opts_.max_in_flight; }
    [[nodiscard]] bool connected() const noexcept {
        return connected_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t resent() const noexcept {
        return resent_.load(std::memory_order_relaxed);
    }

    /// Any thread: accounts for rec and hands it to the I/O loop (takes rec).
    void submit(redis_call_rec* rec);
    /// Any thread: the awaiter cancelled rec's future; takes over the waiter's reference.
    void cancelled_by_awaiter(redis_call_rec* rec);
    /// Any thread: cancels the calls still waiting in the pool (shutdown(cancel_pending)).
    void cancel_waiting();

protected:
    bool enqueue(job& /*j*/, bool /*wait_for_room*/) override { return true; }
    void stop_workers(bool /*wait*/) noexcept override {}

private:
    // ---- the I/O loop ---------------------------------------------------------------------------
    void run_loop(std::promise<void>& started);
    void take(redis_call_rec* rec);
    void pump();
    void send_call(redis_call_rec* rec);
    void xadd_replied(std::uint64_t seq, redisReply* r);
    void commands_ready();
    void resend(bool all);
    void read_results();
    void results_arrived(redisReply* r);
    void complete(redis_call_rec* rec, char kind, std::string_view value);
    /// Takes rec out of the pool (it is gone): forgets it remotely when it was sent.
    void drop(redis_call_rec* rec, bool forget);
    void finish(redis_call_rec* rec, bool delivered, executor_core::job_end how);
    void fail(redis_call_rec* rec, std::exception_ptr e);
    void cancel_on_loop(redis_call_rec* rec);
    void forget_remotely(redis_call_rec* rec);
    void arm_sweep();
    void sweep();
    void fail_unreachable(clock::time_point now);
    void prune_waiting();

    redis_pool::options opts_;
    redis_address address_;
    queue_keys keys_;
    std::string id_;          ///< this pool's caller id
    std::string results_key_; ///< its result stream
    std::string max_attempts_;

    std::thread thread_;
    weft::loop* loop_ = nullptr; ///< lives on thread_
    std::unique_ptr<connection> cmd_;
    std::unique_ptr<connection> reader_;

    std::deque<redis_call_rec*> waiting_; ///< in order; cancelled ones stay until popped
    std::unordered_map<std::uint64_t, redis_call_rec*> calls_; ///< live calls by number
    std::size_t sent_ = 0;                                     ///< live calls sent to Redis
    std::deque<std::pair<clock::time_point, std::uint64_t>> deadlines_; ///< call_timeout, FIFO
    std::vector<std::uint64_t> unconfirmed_; ///< XADDs whose reply was lost with a connection
    std::uint64_t next_seq_ = 1;
    std::string last_result_ = "0";
    std::string run_id_;   ///< the Redis server's, to notice a restart
    bool reading_ = false; ///< an XREAD is out
    clock::time_point read_sent_{};
    clock::time_point down_since_{};
    std::size_t ended_waiting_ = 0; ///< calls in waiting_ that ended there
    bool sweep_armed_ = false;
    bool closing_ = false;

    void begin_once(redis_call_rec* rec) noexcept;

    std::atomic<std::size_t> held_{0}; ///< calls submitted, not yet sent (max_waiting)
    std::atomic<bool> connected_{false};
    std::atomic<std::uint64_t> resent_{0};
};

} // namespace weft::detail::rp
