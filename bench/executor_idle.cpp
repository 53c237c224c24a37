// Idle CPU after a burst of executor calls (issue 3: "an idle runtime with idle pools uses ~0%
// CPU"). On a default weft::run() (one loop per core, the default executor) it makes a burst of
// trivial run_in_executor calls (64 in flight, then one at a time) on each executor of the case,
// then lets the runtime idle in weft::sleep(1 s), twice, and reports the process CPU time
// (getrusage, user + system) used during each idle second, and the threads that used any.
// Each case runs in its own forked process:
//   default     weft::to_thread (the default executor, max(32, cores + 4) workers), a
//               default-sized weft::tbb_pool and a weft::thread_pool({.threads = 2})
//   with_tbb2   the same plus a weft::tbb_pool({.max_workers = 2}) (before 58753cb, such a pool
//               capped every oneTBB pool of the process at 2 workers: `threads` shows it)
//
// usage: weft-bench-executor-idle [batches]   (default 200 batches of 64 calls per executor)
// Prints one `bench impl=weft workload=executor_idle_CASE key=value...` line per case, then one
// `# CASE: thread NAME ...` line per thread that ran 0.1 ms or more in the first idle second
// (from schedstat; the main thread's figure includes reading those files for every thread).
// Exits 1 when a case's first idle second used more than 10 ms of CPU (1% of one core).

#include <weft/weft.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto s = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
    };
    return s(ru.ru_utime) + s(ru.ru_stime);
}

struct thread_cpu {
    std::string name;
    long long cpu_ns = 0; // time on CPU (/proc/self/task/TID/schedstat, first field)
};

/// CPU time of every thread of this process, by tid.
std::map<long, thread_cpu> thread_times() {
    std::map<long, thread_cpu> out;
    DIR* d = opendir("/proc/self/task");
    if (d == nullptr) {
        return out;
    }
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] == '.') {
            continue;
        }
        const std::string dir = std::string("/proc/self/task/") + e->d_name;
        thread_cpu t;
        std::ifstream(dir + "/comm") >> t.name;
        std::ifstream(dir + "/schedstat") >> t.cpu_ns;
        out[std::stol(e->d_name)] = t;
    }
    closedir(d);
    return out;
}

std::size_t count_threads() {
    return thread_times().size();
}

template <class Submit>
weft::task<long> burst(Submit submit, int batches) {
    long sum = 0;
    std::vector<weft::future<int>> futures;
    for (int b = 0; b < batches; ++b) {
        for (int i = 0; i < 64; ++i) {
            futures.push_back(submit());
        }
        for (int v : co_await weft::gather(futures)) {
            sum += v;
        }
        futures.clear();
    }
    for (int i = 0; i < batches * 4; ++i) {
        sum += co_await submit();
    }
    co_return sum;
}

struct report {
    long calls = 0;
    std::size_t threads = 0;
    double idle1_cpu_s = 0;
    double idle2_cpu_s = 0;
    double idle1_wall_s = 0;
    std::map<long, thread_cpu> before, after;
};

weft::task<report> body(weft::tbb_pool* tbb2, weft::tbb_pool& tbb_default,
                        weft::thread_pool& threads2, int batches) {
    report r;
    auto fn = [] { return 1; };
    // The default executor last: the idle second starts right after its workers' last call.
    r.calls += co_await burst([&] { return weft::run_in_executor(threads2, fn); }, batches);
    if (tbb2 != nullptr) {
        r.calls += co_await burst([&] { return weft::run_in_executor(*tbb2, fn); }, batches);
    }
    r.calls += co_await burst([&] { return weft::run_in_executor(tbb_default, fn); }, batches);
    r.calls += co_await burst([&] { return weft::to_thread(fn); }, batches);
    r.threads = count_threads();

    using clock = std::chrono::steady_clock;
    r.before = thread_times();
    const double c0 = cpu_seconds();
    const auto t0 = clock::now();
    co_await weft::sleep(std::chrono::seconds(1));
    const double c1 = cpu_seconds();
    r.idle1_wall_s = std::chrono::duration<double>(clock::now() - t0).count();
    r.after = thread_times();
    co_await weft::sleep(std::chrono::seconds(1));
    const double c2 = cpu_seconds();
    r.idle1_cpu_s = c1 - c0;
    r.idle2_cpu_s = c2 - c1;
    co_return r;
}

constexpr double limit_s = 0.010;

int run_case(std::string_view name, int batches) {
    std::optional<weft::tbb_pool> tbb2;
    if (name == "with_tbb2") {
        tbb2.emplace(weft::tbb_pool::options{.max_workers = 2});
    }
    weft::tbb_pool tbb_default;
    weft::thread_pool threads2({.threads = 2});
    const report r = weft::run(body(tbb2 ? &*tbb2 : nullptr, tbb_default, threads2, batches));

    std::printf("bench impl=weft workload=executor_idle_%.*s calls=%ld threads=%zu "
                "idle_wall_s=%.3f idle_cpu_s=%.4f idle2_cpu_s=%.4f limit_cpu_s=%.3f\n",
                static_cast<int>(name.size()), name.data(), r.calls, r.threads, r.idle1_wall_s,
                r.idle1_cpu_s, r.idle2_cpu_s, limit_s);
    for (const auto& [tid, t] : r.after) {
        auto it = r.before.find(tid);
        const long long used = t.cpu_ns - (it != r.before.end() ? it->second.cpu_ns : 0);
        if (used >= 100'000) {
            std::printf("# %.*s: thread %s (tid %ld) ran %.2f ms in the first idle second\n",
                        static_cast<int>(name.size()), name.data(), t.name.c_str(), tid,
                        static_cast<double>(used) * 1e-6);
        }
    }
    return r.idle1_cpu_s <= limit_s ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    const int batches = argc > 1 ? std::atoi(argv[1]) : 200;
    int failures = 0;
    for (std::string_view name : {"default", "with_tbb2"}) {
        std::fflush(stdout);
        const pid_t pid = fork(); // before any thread exists: each case starts its own
        if (pid < 0) {
            std::perror("fork");
            return 1;
        }
        if (pid == 0) {
            const int rc = run_case(name, batches);
            std::fflush(stdout);
            std::_Exit(rc);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            std::fprintf(stderr, "executor_idle: case %.*s failed (status %d)\n",
                         static_cast<int>(name.size()), name.data(), status);
            ++failures;
        }
    }
    return failures == 0 ? 0 : 1;
}
