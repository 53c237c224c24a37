#pragma once

// Private: a runtime's signal handling (signal_service.cpp), behind weft's signal functions and the
// default SIGINT/SIGTERM handlers that cancel the main task.

#include <asio/signal_set.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace weft {
class loop;
} // namespace weft

namespace weft::detail {

/// Signals of one runtime (or stand-alone loop): an Asio signal_set on its first loop turns each
/// signal into a callback on the loop that asked for it, never in signal context.
class signal_service {
public:
    /// default_handlers: SIGINT/SIGTERM cancel the main task of `home`.
    signal_service(loop& home, bool default_handlers);
    signal_service(const signal_service&) = delete;
    signal_service& operator=(const signal_service&) = delete;
    ~signal_service();

    /// Runs fn on `on` at each sig; replaces an earlier handler. Any loop thread.
    void add(int sig, loop& on, std::function<void()> fn);
    /// Removes the handler for sig; false when there was none. Any loop thread.
    bool remove(int sig);

    /// The default-handled signal (SIGINT or SIGTERM) that first cancelled the main task; 0 when
    /// none did. Read on the home loop's thread once the main task has ended.
    [[nodiscard]] int interrupting_signal() const noexcept { return interrupted_by_; }

private:
    void arm();
    void on_signal(int sig);
    [[nodiscard]] bool is_default(int sig) const noexcept;

    struct handler {
        loop* on;
        std::shared_ptr<std::function<void()>> fn;
    };

    loop& home_;
    const bool defaults_;
    std::mutex mtx_; // guards handlers_ and every call on set_
    asio::signal_set set_;
    std::map<int, handler> handlers_;
    std::map<int, int> default_deliveries_;
    bool armed_ = false;     ///< a wait is outstanding (armed once, re-armed by each delivery)
    int interrupted_by_ = 0; ///< see interrupting_signal (written on the home loop's thread)
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

/// The signal service of the calling task's runtime (created on first use for a stand-alone
/// loop). @throws invalid_state_error outside a loop.
signal_service& signals_of(loop& here);

} // namespace weft::detail
