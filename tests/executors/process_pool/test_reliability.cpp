// What the process pool is for: crashes fail only their own call, cancellation and timeouts kill
// the worker running the call, recycling, and no zombie, leaked descriptor or orphan afterwards.

#include "remote_functions.hpp"

#include <weft/executors/process_pool.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace pp_test;
using namespace std::chrono_literals;

namespace {

#if defined(__SANITIZE_THREAD__)
constexpr bool under_tsan = true;
#else
constexpr bool under_tsan = false;
#endif

struct proc_info {
    int ppid = 0;
    char state = '?';
};

std::map<int, proc_info> all_processes() {
    std::map<int, proc_info> out;
    DIR* d = ::opendir("/proc");
    while (dirent* e = ::readdir(d)) {
        int pid = std::atoi(e->d_name);
        if (pid <= 0) {
            continue;
        }
        std::ifstream in("/proc/" + std::string(e->d_name) + "/stat");
        std::string line;
        if (!std::getline(in, line)) {
            continue;
        }
        auto close = line.rfind(')');
        if (close == std::string::npos) {
            continue;
        }
        std::istringstream rest(line.substr(close + 2));
        proc_info p;
        rest >> p.state >> p.ppid;
        out[pid] = p;
    }
    ::closedir(d);
    return out;
}

/// This process's descendants: (alive, zombies).
std::pair<int, int> descendants() {
    auto procs = all_processes();
    std::set<int> tree{::getpid()};
    bool grew = true;
    while (grew) {
        grew = false;
        for (auto& [pid, p] : procs) {
            if (tree.count(p.ppid) != 0 && tree.insert(pid).second) {
                grew = true;
            }
        }
    }
    int alive = 0;
    int zombies = 0;
    for (int pid : tree) {
        if (pid == ::getpid()) {
            continue;
        }
        (procs[pid].state == 'Z' ? zombies : alive) += 1;
    }
    return {alive, zombies};
}

int open_fds() {
    int n = 0;
    DIR* d = ::opendir("/proc/self/fd");
    while (::readdir(d) != nullptr) {
        ++n;
    }
    ::closedir(d);
    return n;
}

/// Waits until pid has exited (true), at most `limit`.
bool exits_within(int pid, std::chrono::milliseconds limit) {
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) {
        return errno == ESRCH; // gone already
    }
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(limit.count()));
    ::close(fd);
    return r == 1;
}

} // namespace

WEFT_CO_TEST(process_pool_crash, a_crash_fails_only_its_call_with_the_cause) {
    weft::process_pool pool({.workers = 2});
    struct kind {
        int mode;
        int sig;
        int code;
    };
    for (kind k : {kind{by_abort, SIGABRT, -1}, kind{by_segv, SIGSEGV, -1}, kind{by_exit, 0, 3},
                   kind{by_sigkill, SIGKILL, -1}}) {
        auto other = weft::run_in_executor(pool, nap_ms, 50);
        try {
            co_await weft::run_in_executor(pool, crash_or_double, 1, k.mode);
            ADD_FAILURE() << "expected worker_crashed for mode " << k.mode;
        } catch (const weft::worker_crashed& e) {
            EXPECT_EQ(e.signal(), k.sig) << e.what();
            EXPECT_EQ(e.exit_code(), k.code) << e.what();
            EXPECT_GT(e.pid(), 0);
            EXPECT_NE(std::string(e.what()).find("pp_test::crash_or_double"), std::string::npos);
        }
        int v = co_await other; // the call on the other worker was not disturbed
        EXPECT_EQ(v, 50);
    }
    int v = co_await weft::run_in_executor(pool, crash_or_double, 21, no_crash);
    EXPECT_EQ(v, 42);
    EXPECT_EQ(pool.workers_started(), 6U); // one replacement per crash, started at once
    EXPECT_LE(pool.worker_pids().size(), 2U);
}

WEFT_CO_TEST(process_pool_crash, a_worker_killed_from_outside_is_replaced) {
    weft::process_pool pool({.workers = 1});
    int pid = co_await weft::run_in_executor(pool, worker_pid);
    auto stuck = weft::run_in_executor(pool, spin_forever);
    ::kill(pid, SIGKILL);
    try {
        co_await stuck;
        ADD_FAILURE() << "expected worker_crashed";
    } catch (const weft::worker_crashed& e) {
        EXPECT_EQ(e.signal(), SIGKILL);
        EXPECT_EQ(e.pid(), pid);
    }
    int pid2 = co_await weft::run_in_executor(pool, worker_pid);
    EXPECT_NE(pid2, pid);
}

WEFT_CO_TEST(process_pool_crash, a_dead_worker_is_finalised_while_a_child_of_it_holds_its_socket) {
    // Its socket reads no EOF while the child lives; its exit status says enough.
    weft::process_pool pool({.workers = 1});
    const int child = co_await weft::run_in_executor(pool, fork_a_child_holding_the_socket, 60);
    try {
        co_await weft::wait_for(weft::run_in_executor(pool, crash_or_double, 1, by_exit), 20s);
        ADD_FAILURE() << "expected worker_crashed";
    } catch (const weft::worker_crashed& e) {
        EXPECT_EQ(e.exit_code(), 3) << e.what();
    } catch (const weft::timeout_error&) {
        ADD_FAILURE() << "the call of a worker that exited waited for its child";
    }
    ::kill(child, SIGKILL);
    int v = co_await weft::run_in_executor(pool, add, 1, 2);
    EXPECT_EQ(v, 3);
}

WEFT_CO_TEST(process_pool_crash, crash_storm_keeps_serving_every_other_call) {
    weft::process_pool pool({.workers = 2, .max_batch = 4});
    std::mt19937 rng(12345);
    std::vector<int> modes;
    std::vector<weft::future<int>> calls;
    const int n = 300;
    for (int i = 0; i < n; ++i) {
        int r = static_cast<int>(rng() % 100);
        int mode = r < 4 ? by_abort : r < 8 ? by_exit : r < 10 ? by_segv : no_crash;
        modes.push_back(mode);
        calls.push_back(weft::run_in_executor(pool, crash_or_double, i, mode));
    }
    int crashed = 0;
    for (int i = 0; i < n; ++i) {
        try {
            int v = co_await calls[static_cast<std::size_t>(i)];
            EXPECT_EQ(modes[static_cast<std::size_t>(i)], no_crash) << "call " << i;
            EXPECT_EQ(v, 2 * i);
        } catch (const weft::worker_crashed&) {
            EXPECT_NE(modes[static_cast<std::size_t>(i)], no_crash) << "call " << i;
            ++crashed;
        }
    }
    int expected = 0;
    for (int m : modes) {
        expected += m != no_crash ? 1 : 0;
    }
    EXPECT_EQ(crashed, expected);
    EXPECT_GT(crashed, 10);
    int v = co_await weft::run_in_executor(pool, add, 1, 2);
    EXPECT_EQ(v, 3);
    pool.shutdown(true, false); // the counters are final once every call has left the pool
    auto st = pool.stats();
    EXPECT_EQ(st.completed, static_cast<std::uint64_t>(n - crashed + 1));
    EXPECT_EQ(st.failed, static_cast<std::uint64_t>(crashed));
}

WEFT_CO_TEST(process_pool_cancel, cancelling_a_running_call_kills_its_worker) {
    weft::process_pool pool({.workers = 1});
    int pid = co_await weft::run_in_executor(pool, worker_pid);
    auto stuck = weft::run_in_executor(pool, spin_forever);
    auto queued = weft::run_in_executor(pool, add, 5, 5); // behind it on the same worker
    auto t0 = std::chrono::steady_clock::now();
    try {
        co_await weft::wait_for(stuck, 100ms);
        ADD_FAILURE() << "expected timeout_error";
    } catch (const weft::timeout_error&) {
    }
    EXPECT_TRUE(exits_within(pid, 10s)) << "the worker running the call was not killed";
    int v = co_await queued; // it never started there, so it ran on the new worker
    EXPECT_EQ(v, 10);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 20s);
    int pid2 = co_await weft::run_in_executor(pool, worker_pid);
    EXPECT_NE(pid2, pid);
    pool.shutdown(true, false);
    auto st = pool.stats();
    EXPECT_EQ(st.discarded, 1U);
    EXPECT_EQ(pool.workers_started(), 2U);
}

WEFT_CO_TEST(process_pool_cancel, cancelling_a_call_not_started_keeps_the_worker) {
    weft::process_pool pool({.workers = 1, .max_batch = 4});
    auto first = weft::run_in_executor(pool, nap_ms, 200);
    auto second = weft::run_in_executor(pool, nap_ms, 5000); // queued behind the first
    second.cancel();
    int v = co_await first;
    EXPECT_EQ(v, 200);
    int w = co_await weft::run_in_executor(pool, add, 1, 1); // not 5 s later: second was skipped
    EXPECT_EQ(w, 2);
    EXPECT_TRUE(second.cancelled());
    EXPECT_EQ(pool.workers_started(), 1U);
    pool.shutdown(true, false);
    EXPECT_EQ(pool.stats().cancelled, 1U);
}

WEFT_CO_TEST(process_pool_cancel, a_call_timeout_kills_the_worker_and_raises_timeout_error) {
    weft::process_pool pool({.workers = 1, .call_timeout = 200ms});
    try {
        co_await weft::run_in_executor(pool, spin_forever);
        ADD_FAILURE() << "expected timeout_error";
    } catch (const weft::timeout_error& e) {
        EXPECT_NE(std::string(e.what()).find("pp_test::spin_forever"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("call_timeout"), std::string::npos);
    }
    int v = co_await weft::run_in_executor(pool, nap_ms, 10); // within the limit
    EXPECT_EQ(v, 10);
    EXPECT_EQ(pool.workers_started(), 2U);
}

WEFT_CO_TEST(process_pool_cancel, a_grace_period_sends_sigterm_first) {
    weft::process_pool pool({.workers = 1, .call_timeout = 100ms, .cancel_grace = 100ms});
    try {
        co_await weft::run_in_executor(pool, spin_forever);
        ADD_FAILURE() << "expected timeout_error";
    } catch (const weft::timeout_error&) {
    }
    int v = co_await weft::run_in_executor(pool, add, 2, 2);
    EXPECT_EQ(v, 4);
}

WEFT_CO_TEST(process_pool_recycle, max_tasks_per_child_replaces_workers) {
    weft::process_pool pool({.workers = 1, .max_tasks_per_child = 3});
    std::map<int, int> per_pid;
    for (int i = 0; i < 10; ++i) {
        int pid = co_await weft::run_in_executor(pool, worker_pid);
        ++per_pid[pid];
    }
    EXPECT_EQ(per_pid.size(), 4U);
    for (auto& [pid, n] : per_pid) {
        EXPECT_LE(n, 3) << pid;
        if (n == 3) {
            EXPECT_TRUE(exits_within(pid, 10s)) << "a used-up worker was not retired";
        }
    }
}

TEST(process_pool_resources, no_zombie_no_leaked_descriptor_after_a_pool) {
    { // warm up: the service's epoll, eventfd and thread exist from the first pool on
        weft::process_pool warm({.workers = 1});
    }
    const int fds_before = open_fds();
    const auto [alive_before, zombies_before] = descendants();
    weft::run([]() -> weft::task<void> {
        weft::process_pool pool({.workers = 3});
        std::vector<weft::future<int>> calls;
        for (int i = 0; i < 30; ++i) {
            calls.push_back(
                weft::run_in_executor(pool, crash_or_double, i, i % 10 == 0 ? by_abort : no_crash));
        }
        for (auto& c : calls) {
            try {
                (void)co_await c;
            } catch (const weft::worker_crashed&) {
            }
        }
    }());
    EXPECT_EQ(open_fds(), fds_before);
    const auto [alive_after, zombies_after] = descendants();
    EXPECT_EQ(alive_after, alive_before); // the fork server only
    EXPECT_EQ(zombies_after, 0);
    EXPECT_EQ(zombies_before, 0);
}

TEST(process_pool_resources, workers_exit_when_the_parent_is_killed) {
    if (under_tsan) {
        GTEST_SKIP() << "ThreadSanitizer does not support threads in a child forked from a "
                        "multi-threaded process";
    }
    int pipefd[2];
    ASSERT_EQ(::pipe(pipefd), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(pipefd[0]);
        try {
            weft::run([&]() -> weft::task<void> {
                // max_batch 1: a call waits for a free worker, not behind the busy one
                weft::process_pool pool({.workers = 2, .max_batch = 1});
                int ids[4];
                ids[0] = co_await weft::run_in_executor(pool, worker_pid);
                ids[1] = co_await weft::run_in_executor(pool, worker_parent_pid);
                // a second worker, busy: it must die too
                auto busy = weft::run_in_executor(pool, spin_forever);
                auto a = weft::run_in_executor(pool, worker_pid);
                ids[2] = co_await a;
                ids[3] = 0;
                [[maybe_unused]] auto w = ::write(pipefd[1], ids, sizeof ids);
                ::pause();
                co_return;
            }());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child: %s\n", e.what());
        } catch (...) {
            std::fprintf(stderr, "child: unknown exception\n");
        }
        ::_exit(1);
    }
    ::close(pipefd[1]);
    int ids[4] = {};
    ssize_t got = 0;
    while (got < static_cast<ssize_t>(sizeof ids)) {
        ssize_t n = ::read(pipefd[0], reinterpret_cast<char*>(ids) + got, sizeof ids - got);
        if (n <= 0) {
            break;
        }
        got += n;
    }
    ::close(pipefd[0]);
    ASSERT_EQ(got, static_cast<ssize_t>(sizeof ids));
    ::kill(child, SIGKILL);
    int st = 0;
    ::waitpid(child, &st, 0);
    EXPECT_TRUE(exits_within(ids[1], 10s)) << "the fork server outlived its parent";
    EXPECT_TRUE(exits_within(ids[0], 10s)) << "an idle worker outlived the parent";
    EXPECT_TRUE(exits_within(ids[2], 10s)) << "a worker outlived the parent";
}

TEST(process_pool_resources, a_fork_server_starts_by_re_execution_when_threads_exist) {
    if (under_tsan) {
        GTEST_SKIP() << "ThreadSanitizer does not support threads in a child forked from a "
                        "multi-threaded process";
    }
    // A forked child with a second thread: its pool cannot fork a fork server from a
    // multi-threaded process, so it re-executes the program (whose weft::init runs the server).
    int pipefd[2];
    ASSERT_EQ(::pipe(pipefd), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(pipefd[0]);
        std::atomic<bool> stop{false};
        std::thread extra([&] {
            while (!stop.load()) {
                std::this_thread::sleep_for(1ms);
            }
        });
        int result = 0;
        try {
            weft::run([&]() -> weft::task<void> {
                weft::process_pool pool({.workers = 1});
                int parent = co_await weft::run_in_executor(pool, worker_parent_pid);
                std::string exe =
                    std::filesystem::read_symlink("/proc/" + std::to_string(parent) + "/exe");
                result = co_await weft::run_in_executor(pool, add, 40, 2);
                if (exe != std::filesystem::read_symlink("/proc/self/exe")) {
                    result = -1;
                }
            }());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child: %s\n", e.what());
            result = -2;
        } catch (...) {
            std::fprintf(stderr, "child: unknown exception\n");
            result = -3;
        }
        stop = true;
        extra.join();
        [[maybe_unused]] auto w = ::write(pipefd[1], &result, sizeof result);
        ::_exit(0);
    }
    ::close(pipefd[1]);
    int result = 0;
    EXPECT_EQ(::read(pipefd[0], &result, sizeof result), static_cast<ssize_t>(sizeof result));
    ::close(pipefd[0]);
    int st = 0;
    ::waitpid(child, &st, 0);
    EXPECT_EQ(result, 42);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
