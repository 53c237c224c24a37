// The engine of weft::run() (runtime.hpp): its loops, their threads (pinned when asked), running
// the main task with its signal service, and shutdown, which cancels the tasks on every loop but
// the main one and waits for them to unwind before the extensions are shut down. Also:
// weft::interrupted and ending the process by the signal that interrupted it.
#include "runtime.hpp"

#include "debug_impl.hpp"
#include "loop_impl.hpp"
#include "signal_service.hpp"

#include <weft/runtime/detail/env.hpp>

#include <weft/runtime/future.hpp>
#include <weft/runtime/log.hpp>

#include <pthread.h>
#include <sched.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>

namespace weft::detail {

namespace {

std::size_t loops_wanted(std::size_t asked) {
    if (asked != 0) {
        return asked;
    }
    if (auto n = env_count("WEFT_LOOPS", "number of loops", 4096)) {
        return *n;
    }
    unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : hw;
}

} // namespace

bool pin_this_thread(std::size_t cpu) noexcept {
    unsigned hw = std::thread::hardware_concurrency();
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<int>(cpu % (hw == 0 ? 1 : hw)), &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

runtime::runtime(const options& opts) : opts_(opts) {
    if (opts.slow_callback <= std::chrono::milliseconds::zero()) {
        throw std::invalid_argument("weft::options::slow_callback must be positive");
    }
    std::size_t n = loops_wanted(opts.loops);
    if (opts.clock == clock_kind::manual) {
        vclock_ = std::make_unique<virtual_clock>(clock::now());
    }
    debug_ = opts.debug || debug_from_env();
    loops_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        loops_.push_back(std::unique_ptr<loop>(new loop(this, i)));
        loops_.back()->impl().configure(debug_, opts.slow_callback, vclock_.get());
    }
    if (debug_) {
        debug_users.fetch_add(1, std::memory_order_relaxed);
    }
}

runtime::~runtime() {
    if (debug_) {
        debug_users.fetch_sub(1, std::memory_order_relaxed);
    }
    stop_and_join();
    for (auto& l : loops_) {
        try {
            l->close();
        } catch (const std::exception& e) {
            log::runtime().error("closing loop {} failed: {}", l->id(), e.what());
        }
    }
}

void runtime::start_threads() {
    for (std::size_t i = 1; i < loops_.size(); ++i) {
        loop* l = loops_[i].get();
        bool pin = opts_.pin_threads;
        threads_.emplace_back([l, i, pin] {
            if (pin && !pin_this_thread(i)) {
                log::runtime().warn("loop {}: could not pin its thread to CPU {}", i, i);
            }
            try {
                l->impl().run();
            } catch (const std::exception& e) {
                log::runtime().critical("loop {} stopped by an exception: {}", i, e.what());
            }
        });
    }
}

void runtime::stop_and_join() noexcept {
    for (std::size_t i = 1; i < loops_.size(); ++i) {
        loops_[i]->stop();
    }
    for (auto& t : threads_) {
        if (t.joinable()) {
            t.join();
        }
    }
    threads_.clear();
}

loop& runtime::loop_at(std::size_t index) {
    if (index >= loops_.size()) {
        throw invalid_state_error("weft::spawn_on(" + std::to_string(index) +
                                  "): the runtime has " + std::to_string(loops_.size()) +
                                  " loops (0 to " + std::to_string(loops_.size() - 1) + ")");
    }
    return *loops_[index];
}

loop& runtime::least_busy() noexcept {
    const std::size_t n = loops_.size();
    const std::size_t start = next_.fetch_add(1, std::memory_order_relaxed) % n;
    loop* best = loops_[start].get();
    std::size_t best_load = best->impl().load.load(std::memory_order_relaxed);
    for (std::size_t k = 1; k < n && best_load > 0; ++k) {
        loop* l = loops_[(start + k) % n].get();
        std::size_t load = l->impl().load.load(std::memory_order_relaxed);
        if (load < best_load) {
            best = l;
            best_load = load;
        }
    }
    return *best;
}

namespace {

/// run_main's runtime and body; returns the signal that ended the main task by cancellation (0
/// when the body returned), having torn everything down.
int run_runtime(const options& opts, unique_function<void(loop&)>& body) {
    runtime rt(opts);
    cpu_set_t saved;
    bool restore_affinity = false;
    if (opts.pin_threads) {
        restore_affinity = pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved) == 0;
        if (!pin_this_thread(0)) {
            log::runtime().warn("loop 0: could not pin its thread to CPU 0");
        }
    }
    struct restore_guard {
        bool active;
        cpu_set_t* set;
        ~restore_guard() {
            if (active) {
                pthread_setaffinity_np(pthread_self(), sizeof(*set), set);
            }
        }
    } restore{restore_affinity, &saved};
    rt.start_threads();
    // Destroyed before rt: no signal reaches a loop that is being closed.
    signal_service signals(rt.loop_at(0), opts.handle_signals);
    rt.signals = &signals;
    struct unset_guard {
        runtime& rt;
        ~unset_guard() { rt.signals = nullptr; }
    } unset{rt};
    try {
        body(rt.loop_at(0)); // rt's destructor stops and joins the other loops, even on a throw
    } catch (const cancelled_error&) {
        // The main task ended by cancellation: an interrupt when a default-handled signal asked
        // for it (a task may also cancel the main task, which then rethrows as before).
        const int sig = signals.interrupting_signal();
        if (sig == 0) {
            throw;
        }
        return sig;
    }
    return 0;
}

} // namespace

void run_main(const options& opts, unique_function<void(loop&)> body) {
    const int sig = run_runtime(opts, body); // the runtime and its signal handling are gone now
    if (sig == 0) {
        return;
    }
    if (opts.on_interrupt == interrupt_action::throw_interrupted) {
        throw interrupted(sig);
    }
    exit_by_signal(sig);
}

task<void> shutdown_runtime() {
    loop& here = current_loop();
    runtime* rt = here.impl().rt;
    const std::size_t n = rt == nullptr ? 1 : rt->size();
    auto all_done = std::make_shared<promise<void>>();
    auto remaining = std::make_shared<std::atomic<std::size_t>>(n);
    future<void> drained = all_done->get_future();
    for (std::size_t i = 0; i < n; ++i) {
        loop& l = rt == nullptr ? here : rt->loop_at(i);
        post(l, [&l, all_done, remaining] {
            l.impl().begin_shutdown(/*include_main=*/false, [all_done, remaining] {
                if (remaining->fetch_sub(1, std::memory_order_acq_rel) == 1) {
                    all_done->set_value();
                }
            });
        });
    }
    const auto warn_after =
        rt == nullptr ? std::chrono::milliseconds(5000) : rt->opts().shutdown_warning;
    timer_handle warning = here.call_later(warn_after, [remaining, warn_after] {
        log::runtime().warn(
            "shutdown: tasks on {} loop(s) still unwinding after {} ms; a task that "
            "catches cancelled_error must finish its cleanup",
            remaining->load(), warn_after.count());
    });
    co_await drained;
    warning.cancel();
    if (rt != nullptr) {
        rt->extensions().shutdown_all(); // e.g. the default executor, while the loops still run
    }
}

extension& runtime_extension(const void* key, extension_factory make) {
    loop& here = current_loop();
    runtime* rt = here.impl().rt;
    if (rt != nullptr) {
        return rt->extensions().get(key, make, rt->opts());
    }
    static const options defaults{};
    return here.impl().extensions.get(key, make, defaults);
}

} // namespace weft::detail

namespace weft {

const char* interrupted::what() const noexcept {
    switch (sig_) {
    case SIGINT:
        return "interrupted by SIGINT";
    case SIGTERM:
        return "interrupted by SIGTERM";
    default:
        return "interrupted by a signal";
    }
}

void exit_by_signal(int sig) noexcept {
    // Output the program wrote so far must not be lost: death by a signal skips exit()'s flush.
    try {
        std::cout.flush();
        std::cerr.flush();
        std::clog.flush();
    } catch (...) {
        // A stream that throws on failure: nothing more to do for it.
    }
    std::fflush(nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(sig, &dfl, nullptr);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    ::raise(sig);
    // Only for a signal whose default action does not end the process.
    std::_Exit(128 + sig);
}

} // namespace weft
