// When the fork server is gone (killed from outside, or found gone because a request to it could
// not be sent): the calls running on its workers fail with worker_crashed, queued and later calls
// with worker_init_error, and the pool's I/O thread goes back to sleep. A process has one fork
// server, started by weft::init and never again, so each case runs in a fresh copy of this program
// (re-executed: that works under ThreadSanitizer too, where a forked child may not start threads):
// a DISABLED_ test that only that copy runs.

#include "remote_functions.hpp"
#include "service.hpp" // private: its lock keeps the I/O thread away while a request fails

#include <weft/executors/process_pool.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

using namespace pp_test;
using namespace std::chrono_literals;

namespace {

/// Nanoseconds every thread of this process spent running or runnable (waiting for a CPU) so
/// far: a thread that spins is runnable all the time, however busy the machine is. From
/// schedstat where the kernel keeps it, else the CPU time in stat (which a busy machine shrinks).
long long process_busy_ns() {
    long long ns = 0;
    DIR* d = ::opendir("/proc/self/task");
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') {
            continue;
        }
        const std::string task = "/proc/self/task/" + std::string(e->d_name);
        std::ifstream sched(task + "/schedstat");
        long long run = 0;
        long long wait = 0;
        if (sched >> run >> wait) {
            ns += run + wait;
            continue;
        }
        std::ifstream in(task + "/stat");
        std::string line;
        if (!std::getline(in, line)) {
            continue; // the thread ended meanwhile
        }
        // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
        std::istringstream rest(line.substr(line.rfind(')') + 2));
        std::string field;
        for (int i = 3; i <= 13; ++i) {
            rest >> field;
        }
        long long utime = 0;
        long long stime = 0;
        rest >> utime >> stime;
        ns += (utime + stime) * 1'000'000'000LL / ::sysconf(_SC_CLK_TCK);
    }
    ::closedir(d);
    return ns;
}

/// How many of this process's threads were busy (running or runnable) on average over the
/// quietest of `windows` consecutive windows of `each`, in which it has nothing to do. A thread
/// that spins is busy in all of them; a burst of work that ends (ThreadSanitizer symbolising a
/// suppressed report, say) in few.
weft::task<double> quietest_busy_threads(int windows, std::chrono::milliseconds each) {
    double quietest = 1e9;
    for (int i = 0; i < windows; ++i) {
        const long long before = process_busy_ns();
        const auto t0 = std::chrono::steady_clock::now();
        co_await weft::sleep(each); // a measuring window, not a wait for anything
        const auto elapsed = std::chrono::steady_clock::now() - t0;
        const double busy =
            static_cast<double>(process_busy_ns() - before) /
            static_cast<double>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
        quietest = std::min(quietest, busy);
    }
    co_return quietest;
}

/// Runs the DISABLED_ test `name` of this suite in a fresh copy of this program, with at most
/// `limit` for it; its wait status, or -1 when it did not end in time (it is killed then).
int run_in_fresh_process(const std::string& name, std::chrono::seconds limit) {
    const std::string exe = std::filesystem::read_symlink("/proc/self/exe");
    std::string filter = "--gtest_filter=process_pool_fork_server.DISABLED_" + name;
    std::string also = "--gtest_also_run_disabled_tests";
    std::string brief = "--gtest_brief=1";
    std::vector<char*> argv{const_cast<char*>(exe.c_str()), filter.data(), also.data(),
                            brief.data(), nullptr};
    std::vector<char*> env; // without GTEST_* (sharding, output files): they are the parent's
    for (char** e = environ; *e != nullptr; ++e) {
        if (std::strncmp(*e, "GTEST_", 6) != 0) {
            env.push_back(*e);
        }
    }
    env.push_back(nullptr);
    pid_t pid = 0;
    if (::posix_spawn(&pid, exe.c_str(), nullptr, nullptr, argv.data(), env.data()) != 0) {
        return -2;
    }
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    pollfd p{pidfd, POLLIN, 0};
    const bool ended = pidfd >= 0 && ::poll(&p, 1, static_cast<int>(limit.count() * 1000)) == 1;
    if (pidfd >= 0) {
        ::close(pidfd);
    }
    if (!ended) {
        ::kill(pid, SIGKILL);
    }
    int st = 0;
    ::waitpid(pid, &st, 0);
    return ended ? st : -1;
}

/// Kills this process's fork server (a child of this process: weft::init forked it) and waits
/// until it is gone; when `request_first`, then makes a request to it fail before the pool's I/O
/// thread can read the server's EOF (it waits for the service's lock meanwhile).
void kill_fork_server(int server, bool request_first, int some_worker) {
    auto& svc = weft::detail::pp::service::get();
    auto lock = svc.lock();
    ASSERT_EQ(::kill(server, SIGKILL), 0);
    int st = 0;
    ASSERT_EQ(::waitpid(server, &st, 0), server); // its end of the socket is closed now
    if (request_first) {
        (void)svc.forks().kill(some_worker, SIGKILL); // cannot be sent: the server is gone
    }
}

/// The case both tests run: a pool of two workers, one running a call, loses its fork server.
weft::task<void> lose_the_fork_server(bool request_first) {
    weft::process_pool pool({.workers = 2, .max_batch = 1});
    const int server = co_await weft::run_in_executor(pool, worker_parent_pid);
    const int idle = co_await weft::run_in_executor(pool, worker_pid);
    auto running = weft::run_in_executor(pool, spin_forever);
    kill_fork_server(server, request_first, idle);

    // Its workers died with it (PDEATHSIG): the call running on one fails as that worker's crash.
    try {
        co_await weft::wait_for(std::move(running), 30s);
        ADD_FAILURE() << "expected worker_crashed";
    } catch (const weft::worker_crashed& e) {
        EXPECT_EQ(e.signal(), SIGKILL) << e.what();
    } catch (const weft::timeout_error&) {
        ADD_FAILURE() << "the call running on a worker of the dead fork server never ended";
    }
    // No worker can be started any more: a call fails with worker_init_error, and says why.
    try {
        co_await weft::wait_for(weft::run_in_executor(pool, add, 1, 2), 30s);
        ADD_FAILURE() << "expected worker_init_error";
    } catch (const weft::worker_init_error& e) {
        EXPECT_NE(std::string(e.what()).find("fork server"), std::string::npos) << e.what();
    } catch (const weft::timeout_error&) {
        ADD_FAILURE() << "a call after the fork server died never ended";
    }
    // Settled, the process sleeps: its I/O thread does not spin on the server's socket.
    // ThreadSanitizer symbolising a suppressed report on a loaded machine can keep a thread busy
    // for seconds: more windows there, so that only a thread busy in every one of them counts.
#if defined(__SANITIZE_THREAD__)
    constexpr int windows = 8;
#else
    constexpr int windows = 4;
#endif
    const double busy = co_await quietest_busy_threads(windows, 500ms);
    EXPECT_LT(busy, 0.5)
        << "on average " << busy
        << " threads were busy in the quietest half second of a pool doing nothing";
}

} // namespace

WEFT_CO_TEST(process_pool_fork_server, DISABLED_killed) {
    co_await lose_the_fork_server(false);
}

WEFT_CO_TEST(process_pool_fork_server, DISABLED_killed_and_a_request_failed_first) {
    co_await lose_the_fork_server(true);
}

TEST(process_pool_fork_server, a_killed_fork_server_fails_the_calls_and_the_pool_settles) {
    EXPECT_EQ(run_in_fresh_process("killed", 120s), 0);
}

TEST(process_pool_fork_server, a_request_that_failed_before_the_eof_was_read_ends_the_link_too) {
    EXPECT_EQ(run_in_fresh_process("killed_and_a_request_failed_first", 120s), 0);
}
