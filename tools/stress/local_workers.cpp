// The `weft worker` processes of a `redis:URL,workers=N` executor (local_workers.hpp). Each is
// this very program run as `worker --redis URL --queue Q --concurrency C`, started by fork and
// exec: everything the child needs is built before fork, so the child only makes system calls.
// A child gets a process group of its own (a terminal's Ctrl-C reaches `weft stress` alone, which
// stops its pool first and then its workers) and a parent-death signal (nothing outlives a
// `weft stress` that is killed). Teardown: SIGTERM to each, whose worker stops taking calls and
// finishes those it holds, then a bounded wait, then SIGKILL.
#include "local_workers.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace weft::stress {

namespace {

/// How long a worker may take to drain after SIGTERM (its --drain-timeout) and to exit.
constexpr auto drain_timeout = std::chrono::seconds(10);
constexpr auto reap_bound = std::chrono::seconds(20);
/// The workers' visibility timeout: a call held by a worker that died goes to another after it.
constexpr auto visibility_timeout = std::chrono::seconds(10);
/// How often first_exit() looks for workers that exited.
constexpr auto check_interval = std::chrono::milliseconds(100);

pid_t start_worker(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const std::string& a : args) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw spec_error(std::string("cannot start a redis worker: ") + std::strerror(errno));
    }
    if (pid == 0) {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) {
            ::_exit(127);
        }
        sigset_t none;
        ::sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGINT, SIG_DFL);
        ::signal(SIGTERM, SIG_DFL);
        ::dup2(STDERR_FILENO, STDOUT_FILENO); // stdout may carry the JSON or CSV report
        ::execv("/proc/self/exe", argv.data());
        ::_exit(127);
    }
    return pid;
}

std::string describe_exit(pid_t pid, int status) {
    std::string s = "redis worker " + std::to_string(pid);
    if (WIFEXITED(status)) {
        return s + " exited with status " + std::to_string(WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        return s + " was killed by signal " + std::to_string(WTERMSIG(status));
    }
    return s + " ended";
}

} // namespace

local_workers::local_workers(const redis_spec& spec) {
    std::vector<std::string> args{
        "weft",
        "worker",
        "--redis",
        spec.url,
        "--queue",
        spec.queue,
        "--concurrency",
        std::to_string(spec.per_worker),
        "--visibility-timeout",
        std::to_string(std::chrono::milliseconds(visibility_timeout).count()),
        "--drain-timeout",
        std::to_string(std::chrono::milliseconds(drain_timeout).count()),
    };
    if (spec.prefetch) {
        args.insert(args.end(), {"--prefetch", std::to_string(*spec.prefetch)});
    }
    try {
        for (std::size_t i = 0; i < spec.workers; ++i) {
            pids_.push_back(start_worker(args));
        }
        running_.store(pids_.size(), std::memory_order_relaxed);
    } catch (...) {
        for (pid_t p : pids_) {
            ::kill(p, SIGKILL);
            ::waitpid(p, nullptr, 0);
        }
        throw;
    }
}

local_workers::~local_workers() {
    std::lock_guard lock(m_);
    for (pid_t p : pids_) {
        if (p > 0) {
            ::kill(p, SIGTERM);
        }
    }
    const auto give_up = std::chrono::steady_clock::now() + reap_bound;
    for (pid_t& p : pids_) {
        if (p <= 0) {
            continue;
        }
        int status = 0;
        pid_t r = 0;
        // Polls the exit with a bound: teardown only, nothing waits on it but this destructor.
        while ((r = ::waitpid(p, &status, WNOHANG)) == 0 &&
               std::chrono::steady_clock::now() < give_up) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (r == 0) {
            ::kill(p, SIGKILL);
            ::waitpid(p, &status, 0);
            std::fprintf(stderr,
                         "weft stress: redis worker %d did not drain within %lld s: "
                         "killed\n",
                         static_cast<int>(p), static_cast<long long>(reap_bound.count()));
        } else if (r == p && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            std::fprintf(stderr, "weft stress: %s\n", describe_exit(p, status).c_str());
        }
        p = -1;
    }
}

std::string local_workers::first_exit() {
    const std::int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
    std::int64_t due = next_check_.load(std::memory_order_relaxed);
    const std::int64_t next =
        now +
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(check_interval).count();
    // One caller per interval looks; the others read what the last look found.
    if (now < due || !next_check_.compare_exchange_strong(due, next, std::memory_order_relaxed)) {
        if (!any_exited_.load(std::memory_order_acquire)) {
            return {};
        }
        std::lock_guard lock(m_);
        return first_exit_;
    }
    std::lock_guard lock(m_);
    for (pid_t& p : pids_) {
        int status = 0;
        if (p > 0 && ::waitpid(p, &status, WNOHANG) == p) {
            const std::string what = describe_exit(p, status);
            std::fprintf(stderr,
                         "weft stress: %s; the calls it held go to the other workers after the "
                         "visibility timeout (%lld s)\n",
                         what.c_str(), static_cast<long long>(visibility_timeout.count()));
            if (first_exit_.empty()) {
                first_exit_ = what;
                any_exited_.store(true, std::memory_order_release);
            }
            running_.fetch_sub(1, std::memory_order_relaxed);
            p = -1;
        }
    }
    return first_exit_;
}

bool local_workers::all_exited() const noexcept {
    return running_.load(std::memory_order_relaxed) == 0;
}

std::vector<long> local_workers::pids() const {
    std::lock_guard lock(m_);
    std::vector<long> out;
    for (pid_t p : pids_) {
        if (p > 0) {
            out.push_back(p);
        }
    }
    return out;
}

} // namespace weft::stress
