#pragma once

// One connection to Redis on a weft loop (private): hiredis's asynchronous API through
// attach_to_loop, with connecting in the background (name resolution off the loop, AUTH, SELECT),
// a bound on each attempt, reconnecting with backoff for as long as the owner wants, and replies
// handed to callbacks on the loop's thread. Every member runs on that loop's thread.

#include "url.hpp"

#include <weft/runtime/detail/unique_function.hpp>
#include <weft/runtime/loop.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct redisAsyncContext;
struct redisReply;

namespace weft::detail::rp {

class connection {
public:
    /// A reply, or null when the connection went away before it came (or the command could not
    /// be sent); called once, on the loop.
    using reply_fn = unique_function<void(redisReply*)>;

    struct config {
        redis_address address;
        std::chrono::milliseconds connect_timeout{5000};
        std::string name; ///< in log lines
    };

    /// ready: each time the connection is up and logged in; down: each time an attempt fails or
    /// the connection drops, with why (never the credentials).
    connection(weft::loop& l, config c, std::function<void()> ready,
               std::function<void(const std::string&)> down);
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection();

    /// Starts connecting (and reconnecting after each drop, until close()).
    void start();
    /// Drops the connection and stops reconnecting; pending callbacks get null.
    void close();
    /// Drops the connection now and reconnects (a dead peer found by its owner's watchdog).
    void reset(const std::string& why);

    [[nodiscard]] bool ready() const noexcept { return ready_; }
    [[nodiscard]] const std::string& last_error() const noexcept { return last_error_; }

    /// Sends a command (binary-safe arguments); cb gets its reply. When not ready, cb gets null
    /// on a later turn of the loop.
    void command(const std::vector<std::string_view>& args, reply_fn cb);
    /// Subscribes to channel (a connection given over to it); fn gets each message's payload.
    /// Renewed after each reconnect.
    void subscribe(std::string channel, std::function<void(std::string_view)> fn);

private:
    static void on_connect(const redisAsyncContext* ac, int status);
    static void on_disconnect(const redisAsyncContext* ac, int status);
    static void on_reply(redisAsyncContext* ac, void* reply, void* priv);
    static void on_message(redisAsyncContext* ac, void* reply, void* priv);

    void resolve_then_connect();
    void connect_to(const std::string& host);
    void handshake();
    void went_down(const std::string& why);
    void retry_later();
    void send(const std::vector<std::string_view>& args, reply_fn cb);
    void send_subscribe();

    struct timers; // Asio timers, kept out of this header
    weft::loop& loop_;
    config cfg_;
    std::function<void()> ready_fn_;
    std::function<void(const std::string&)> down_fn_;
    std::unique_ptr<timers> t_;
    redisAsyncContext* ac_ = nullptr;
    std::uint64_t attempt_ = 0; ///< tells a stale timer or resolution from the current attempt
    int failures_ = 0;          ///< attempts failed in a row (backoff)
    bool ready_ = false;
    bool closed_ = false;
    std::string last_error_;
    std::string channel_;
    std::function<void(std::string_view)> message_fn_;
};

/// The reply's text (status, string, error), or empty.
[[nodiscard]] std::string_view reply_text(const redisReply* r) noexcept;
/// Whether r is an error reply (or null).
[[nodiscard]] bool reply_failed(const redisReply* r) noexcept;

} // namespace weft::detail::rp
