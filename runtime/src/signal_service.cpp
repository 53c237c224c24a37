// A runtime's signals (signal_service.hpp) and weft::add_signal_handler/remove_signal_handler.
// One Asio signal_set on the home loop receives them and runs each handler as a callback on the
// loop that added it, never in signal context. Unhandled SIGINT/SIGTERM cancel the main task; a
// second one while the program unwinds gets the default action. Fault signals are refused.
#include "signal_service.hpp"

#include "loop_impl.hpp"
#include "runtime.hpp"

#include <weft/runtime/log.hpp>
#include <weft/runtime/signal.hpp>

#include <csignal>
#include <stdexcept>
#include <string>

namespace weft::detail {

namespace {

void check_signal(int sig) {
    if (sig <= 0 || sig >= NSIG) {
        throw std::invalid_argument("weft::add_signal_handler: " + std::to_string(sig) +
                                    " is not a signal number");
    }
    switch (sig) {
    case SIGKILL:
    case SIGSTOP:
        throw std::invalid_argument("weft::add_signal_handler: signal " + std::to_string(sig) +
                                    " (SIGKILL/SIGSTOP) cannot be caught");
    case SIGSEGV:
    case SIGBUS:
    case SIGFPE:
    case SIGILL:
        throw std::invalid_argument(
            "weft::add_signal_handler: signal " + std::to_string(sig) +
            " is raised synchronously by a fault in the faulting thread; it cannot be turned into "
            "a loop callback");
    default:
        break;
    }
}

} // namespace

signal_service::signal_service(loop& home, bool default_handlers)
    : home_(home), defaults_(default_handlers), set_(home.impl().io()) {
    if (defaults_) {
        std::lock_guard lock(mtx_);
        set_.add(SIGINT);
        set_.add(SIGTERM);
        arm();
    }
}

signal_service::~signal_service() {
    std::lock_guard lock(mtx_);
    *alive_ = false;
    std::error_code ignored;
    set_.clear(ignored); // back to the default actions
}

bool signal_service::is_default(int sig) const noexcept {
    return defaults_ && (sig == SIGINT || sig == SIGTERM);
}

void signal_service::arm() {
    // One wait is outstanding from the first arm() on: each delivery re-arms it (on_signal).
    armed_ = true;
    std::weak_ptr<bool> alive = alive_;
    set_.async_wait([this, alive](const std::error_code& ec, int sig) {
        const auto still = alive.lock();
        if (ec || !still || !*still) {
            return;
        }
        on_signal(sig);
    });
}

void signal_service::add(int sig, loop& on, std::function<void()> fn) {
    check_signal(sig);
    if (!fn) {
        throw std::invalid_argument("weft::add_signal_handler: empty handler");
    }
    std::lock_guard lock(mtx_);
    if (!is_default(sig)) {
        set_.add(sig); // adding twice is harmless
    }
    handlers_[sig] = handler{&on, std::make_shared<std::function<void()>>(std::move(fn))};
    if (!armed_) {
        arm();
    }
}

bool signal_service::remove(int sig) {
    std::lock_guard lock(mtx_);
    if (handlers_.erase(sig) == 0) {
        return false;
    }
    if (!is_default(sig)) {
        std::error_code ignored;
        set_.remove(sig, ignored);
    }
    return true;
}

void signal_service::on_signal(int sig) {
    std::unique_lock lock(mtx_);
    arm();
    auto it = handlers_.find(sig);
    if (it != handlers_.end()) {
        handler h = it->second;
        lock.unlock();
        auto run = [fn = h.fn, sig] {
            try {
                (*fn)();
            } catch (const std::exception& e) {
                log::runtime().error("signal {} handler threw: {}", sig, e.what());
            } catch (...) {
                log::runtime().error("signal {} handler threw", sig);
            }
        };
        if (h.on == &home_) {
            run();
        } else {
            post(*h.on, std::move(run));
        }
        return;
    }
    if (!is_default(sig)) {
        return; // its handler was removed while the signal was on its way
    }
    const char* name = sig == SIGINT ? "SIGINT" : "SIGTERM";
    if (++default_deliveries_[sig] == 1) {
        if (interrupted_by_ == 0) {
            interrupted_by_ = sig;
        }
        lock.unlock();
        log::runtime().info("{}: cancelling the main task; send it again to end the process now",
                            name);
        home_.impl().cancel_main();
        return;
    }
    // A second one while the program unwinds: the default action, as if weft were not there.
    log::runtime().warn("{} again: ending the process", name);
    std::error_code ignored;
    set_.remove(sig, ignored);
    lock.unlock();
    std::raise(sig);
}

signal_service& signals_of(loop& here) {
    runtime* rt = here.impl().rt;
    if (rt != nullptr) {
        if (rt->signals == nullptr) {
            throw invalid_state_error("weft signal handlers need weft::run() to be running");
        }
        return *rt->signals;
    }
    auto& own = here.impl().own_signals;
    if (!own) {
        own = std::make_unique<signal_service>(here, /*default_handlers=*/false);
    }
    return *own;
}

} // namespace weft::detail

namespace weft {

void add_signal_handler(int sig, std::function<void()> fn) {
    loop& here = current_loop();
    detail::signals_of(here).add(sig, here, std::move(fn));
}

bool remove_signal_handler(int sig) {
    return detail::signals_of(current_loop()).remove(sig);
}

} // namespace weft
