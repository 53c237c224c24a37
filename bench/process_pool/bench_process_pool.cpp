// Trivial calls through weft::process_pool: sequential latency and throughput with 64 calls in
// flight, beside a raw fork + pipe ping-pong between two processes (the floor for one round trip
// to another process). Prints one line per figure; run.sh adds Python's ProcessPoolExecutor.
//
//     weft-bench-process-pool [--quick] [--workers N]

#include <weft/executors/process_pool.hpp>
#include <weft/weft.hpp>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <vector>

namespace {

int trivial(int x) {
    return x + 1;
}

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// Median of several runs of fn (each returns a figure).
template <class F>
double median_of(int runs, F fn) {
    std::vector<double> v;
    for (int i = 0; i < runs; ++i) {
        v.push_back(fn());
    }
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

void pin_to(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    ::sched_setaffinity(0, sizeof set, &set);
}

/// Round trip of 4 bytes to a forked child over two pipes, in microseconds; with `cross`, the
/// two processes are pinned to different CPUs (0 and 1).
double raw_ping_pong(int n, bool cross) {
    int to_child[2];
    int to_parent[2];
    if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(to_parent, O_CLOEXEC) != 0) {
        std::perror("pipe");
        std::exit(1);
    }
    pid_t pid = ::fork();
    if (pid == 0) {
        if (cross) {
            pin_to(1);
        }
        ::close(to_child[1]);
        ::close(to_parent[0]);
        int v = 0;
        while (::read(to_child[0], &v, sizeof v) == sizeof v) {
            ++v;
            if (::write(to_parent[1], &v, sizeof v) != sizeof v) {
                break;
            }
        }
        ::_exit(0);
    }
    ::close(to_child[0]);
    ::close(to_parent[1]);
    cpu_set_t saved;
    ::sched_getaffinity(0, sizeof saved, &saved);
    if (cross) {
        pin_to(0);
    }
    int v = 0;
    auto round = [&] {
        if (::write(to_child[1], &v, sizeof v) != sizeof v ||
            ::read(to_parent[0], &v, sizeof v) != sizeof v) {
            std::perror("ping-pong");
            std::exit(1);
        }
    };
    for (int i = 0; i < n / 10; ++i) { // warm up
        round();
    }
    auto t0 = clock_type::now();
    for (int i = 0; i < n; ++i) {
        round();
    }
    double us = seconds_since(t0) * 1e6 / n;
    ::sched_setaffinity(0, sizeof saved, &saved);
    ::close(to_child[1]);
    ::close(to_parent[0]);
    ::waitpid(pid, nullptr, 0);
    return us;
}

} // namespace

WEFT_REMOTE(trivial);

int main(int argc, char** argv) {
    weft::init(argc, argv);
    bool quick = false;
    std::size_t workers = 2;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (std::strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
            workers = static_cast<std::size_t>(std::atoi(argv[++i]));
        }
    }
    const int seq_n = quick ? 500 : 5000;
    const int thr_n = quick ? 5000 : 100000;
    const int runs = quick ? 1 : 5;

    double ping = median_of(runs, [&] { return raw_ping_pong(seq_n, false); });
    double ping_cross = median_of(runs, [&] { return raw_ping_pong(seq_n, true); });

    double seq_us = 0;
    double thr = 0;
    weft::run([&]() -> weft::task<void> {
        weft::process_pool pool({.workers = workers, .max_batch = 32});
        for (int i = 0; i < 200; ++i) { // warm up: workers started, paths hot
            (void)co_await weft::run_in_executor(pool, trivial, i);
        }
        std::vector<double> seq;
        std::vector<double> tput;
        for (int r = 0; r < runs; ++r) {
            auto t0 = clock_type::now();
            int v = 0;
            for (int i = 0; i < seq_n; ++i) {
                v = co_await weft::run_in_executor(pool, trivial, v);
            }
            seq.push_back(seconds_since(t0) * 1e6 / seq_n);
            if (v != seq_n) {
                std::fprintf(stderr, "wrong result %d\n", v);
                std::exit(1);
            }
            t0 = clock_type::now();
            std::deque<weft::future<int>> window;
            long long sum = 0;
            for (int i = 0; i < thr_n; ++i) {
                if (window.size() == 64) {
                    sum += co_await window.front();
                    window.pop_front();
                }
                window.push_back(weft::run_in_executor(pool, trivial, i));
            }
            while (!window.empty()) {
                sum += co_await window.front();
                window.pop_front();
            }
            tput.push_back(thr_n / seconds_since(t0));
            if (sum != static_cast<long long>(thr_n) * (thr_n + 1) / 2) {
                std::fprintf(stderr, "wrong sum\n");
                std::exit(1);
            }
        }
        std::sort(seq.begin(), seq.end());
        std::sort(tput.begin(), tput.end());
        seq_us = seq[seq.size() / 2];
        thr = tput[tput.size() / 2];
    }());

    std::printf("raw fork+pipe ping-pong           %9.1f us/round trip (scheduler's placement)\n",
                ping);
    std::printf("raw fork+pipe ping-pong, 2 cores  %9.1f us/round trip (pinned to CPUs 0 and 1)\n",
                ping_cross);
    std::printf("weft process_pool sequential      %9.1f us/call   (%.2fx ping-pong, %.2fx pinned "
                "across cores)\n",
                seq_us, seq_us / ping, seq_us / ping_cross);
    std::printf("weft process_pool 64 in flight    %9.0f calls/s  (%zu workers)\n", thr, workers);
    return 0;
}
