// Memory per sleeping task: RSS before and after n tasks are asleep in weft::sleep(1h) on one
// loop, first as n create_task() roots, then as n children of one gather. Each case runs in its
// own forked process, so that memory freed by one case cannot hide the cost of the next. At the
// end the runtime's exit cancels the sleepers; the time it takes is reported too.
//
// usage: weft-bench-sleep-memory [tasks]   (default 1000000)
// Prints one `bench impl=weft workload=... key=value...` line per case.

#include <weft/weft.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using steady = std::chrono::steady_clock;

std::size_t rss_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::size_t size_pages = 0;
    std::size_t resident_pages = 0;
    statm >> size_pages >> resident_pages;
    return resident_pages * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

double seconds_since(steady::time_point t0) {
    return std::chrono::duration<double>(steady::now() - t0).count();
}

std::size_t g_unwound = 0; // sleepers whose frame was destroyed (all of them, after shutdown)

weft::task<void> sleeper() {
    struct count_unwind {
        ~count_unwind() { ++g_unwound; }
    } counted;
    co_await weft::sleep(std::chrono::hours(1));
}

struct sample {
    std::size_t rss_before = 0;
    std::size_t rss_started = 0; // when the last task has reached its sleep
    std::size_t rss_asleep = 0;  // once the loop has finished that turn
    double start_s = 0;
    steady::time_point exit_begin;
};

// Samples RSS once every sleeper is asleep, then again after the loop has finished its turn: a
// yield may be served within the same turn, a timer is not, and the loop releases memory it held
// only for the burst of starts (its ready queue) at the end of a turn.
weft::task<void> settle(sample& s, steady::time_point t0) {
    s.start_s = seconds_since(t0);
    s.rss_started = rss_bytes();
    co_await weft::sleep(std::chrono::milliseconds(1));
    s.rss_asleep = rss_bytes();
    s.exit_begin = steady::now();
}

// n create_task() roots; the futures are dropped at once: the loop owns the running tasks.
weft::task<sample> create_task_case(std::size_t n) {
    weft::loop& loop = weft::current_loop();
    const std::size_t already = loop.task_count();
    sample s;
    s.rss_before = rss_bytes();
    const auto t0 = steady::now();
    for (std::size_t i = 0; i < n; ++i) {
        (void)weft::create_task(sleeper());
    }
    // A root is counted once its first step has run, and a sleeper's first step ends in sleep().
    while (loop.task_count() - already < n) {
        co_await weft::yield();
    }
    co_await settle(s, t0);
    co_return s;
}

// n children of one gather, run as one create_task() root.
weft::task<sample> gather_case(std::size_t n) {
    weft::loop& loop = weft::current_loop();
    const std::size_t already = loop.task_count();
    sample s;
    s.rss_before = rss_bytes();
    const auto t0 = steady::now();
    {
        std::vector<weft::task<void>> sleepers;
        sleepers.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            sleepers.push_back(sleeper());
        }
        (void)weft::create_task(weft::gather(sleepers));
    }
    // gather starts every child, up to its sleep, in its first step.
    while (loop.task_count() - already < 1) {
        co_await weft::yield();
    }
    co_await weft::yield();
    co_await settle(s, t0);
    co_return s;
}

int run_case(std::string_view name, std::size_t n) {
    const weft::options opts{.loops = 1, .shutdown_warning = std::chrono::minutes(5)};
    // run() returns once its exit has cancelled and unwound every sleeper.
    const sample s = name == "create_task" ? weft::run(create_task_case(n), opts)
                                           : weft::run(gather_case(n), opts);
    const double shutdown_s = seconds_since(s.exit_begin);
    auto per_task = [&](std::size_t rss) {
        return (static_cast<double>(rss) - static_cast<double>(s.rss_before)) /
               static_cast<double>(n);
    };
    constexpr double mib = 1024.0 * 1024.0;
    std::printf("bench impl=weft workload=sleep_%.*s tasks=%zu rss_before_mib=%.1f "
                "rss_asleep_mib=%.1f bytes_per_task=%.1f started_bytes_per_task=%.1f "
                "start_s=%.3f shutdown_s=%.3f unwound=%zu rss_after_exit_mib=%.1f\n",
                static_cast<int>(name.size()), name.data(), n, s.rss_before / mib,
                s.rss_asleep / mib, per_task(s.rss_asleep), per_task(s.rss_started), s.start_s,
                shutdown_s, g_unwound, rss_bytes() / mib);
    return g_unwound == n ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    const std::size_t n = argc > 1 ? std::stoul(argv[1]) : 1'000'000;
    int failures = 0;
    for (std::string_view name : {"create_task", "gather"}) {
        std::fflush(stdout);
        const pid_t pid = fork(); // before any thread exists: weft::run starts them in the child
        if (pid < 0) {
            std::perror("fork");
            return 1;
        }
        if (pid == 0) {
            const int rc = run_case(name, n);
            std::fflush(stdout);
            std::_Exit(rc);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            std::fprintf(stderr, "sleep_memory: case %.*s failed (status %d)\n",
                         static_cast<int>(name.size()), name.data(), status);
            ++failures;
        }
    }
    return failures == 0 ? 0 : 1;
}
