// Trivial calls through weft::redis_pool to worker processes on a local redis-server: the round
// trip one call at a time (p50, p99) and calls/s with 64 in flight, for 1, 2 and 4 workers, with
// the Redis commands each load cost per call. run.sh starts the redis-server and runs the Celery
// and RQ baselines (celery_baseline.py, rq_baseline.py) on it in the same run; the lines printed
// here have their format (bench_common.py's report()).
//
//     weft-bench-redis-pool --socket PATH [--workers 1,2,4] [--concurrency 1] [--quick]
//
// The program is its own worker: weft::init() turns a process started with
// `--weft-redis-worker URL --queue NAME --concurrency N` into one. For each worker count N it
// spawns N such processes (concurrency 1 each, so N workers run N calls at once, as N Celery
// processes do; --concurrency changes that, to see what a worker holding several calls batches),
// measures, then SIGTERMs them (they drain) and reaps them. Every load stops at
// its call count or its time bound, whichever comes first. Commands are Redis's own count
// (INFO commandstats, read with redis-cli) across the load, workers' commands included; CPU time
// per call is split three ways: this process, the workers' process groups, redis-server.

#include <weft/executors/redis_pool.hpp>
#include <weft/weft.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace {

int trivial(int x) {
    return x + 1;
}

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

struct settings {
    std::string socket;
    std::vector<int> workers{1, 2, 4};
    int concurrency = 1; // calls each worker runs at once
    int seq_calls = 1000;
    double seq_seconds = 10;
    int window_calls = 20000;
    double window_seconds = 10;
};

// ---- Commands and CPU time around a load ------------------------------------------------------

/// What a load is measured by: Redis's per-command call counts and CPU seconds since it started,
/// and CPU seconds of this process (all its threads) and of the workers.
struct snapshot {
    std::map<std::string, long long> commands;
    double redis_cpu = 0;
    double caller_cpu = 0;
    double workers_cpu = 0;
};

double process_cpu_seconds() {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// CPU seconds of the live processes in the process groups `pgids`, with those of the children
/// they reaped (/proc/PID/stat: utime, stime, cutime, cstime).
double group_cpu_seconds(const std::vector<pid_t>& pgids) {
    long long ticks = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        std::ifstream in(entry.path() / "stat");
        std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto paren = stat.rfind(')');
        if (paren == std::string::npos) {
            continue; // gone meanwhile
        }
        std::istringstream fields(stat.substr(paren + 1));
        std::vector<long long> f;
        std::string word;
        while (fields >> word && f.size() < 15) {
            f.push_back(std::atoll(word.c_str())); // field 3 (state) reads as 0: unused
        }
        if (f.size() == 15 && std::find(pgids.begin(), pgids.end(), f[2]) != pgids.end()) {
            ticks += f[11] + f[12] + f[13] + f[14];
        }
    }
    return static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// Takes a snapshot; one INFO (commandstats and cpu: Redis >= 7) through redis-cli.
snapshot take_snapshot(const std::string& socket, const std::vector<pid_t>& workers) {
    snapshot s;
    s.caller_cpu = process_cpu_seconds();
    s.workers_cpu = group_cpu_seconds(workers);
    std::string cmd = "redis-cli -s '" + socket + "' INFO commandstats cpu";
    std::FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) {
        std::perror("popen redis-cli");
        std::exit(1);
    }
    char line[512];
    while (std::fgets(line, sizeof line, p) != nullptr) {
        const char* colon = std::strchr(line, ':');
        if (colon == nullptr) {
            continue;
        }
        std::string key(line, static_cast<std::size_t>(colon - line));
        if (key == "used_cpu_user" || key == "used_cpu_sys") {
            s.redis_cpu += std::atof(colon + 1);
        } else if (key.starts_with("cmdstat_") && std::strncmp(colon, ":calls=", 7) == 0) {
            s.commands[key.substr(8)] = std::atoll(colon + 7); // cmdstat_xadd:calls=12,usec=...
        }
    }
    if (::pclose(p) != 0) {
        std::fprintf(stderr, "redis-cli INFO failed\n");
        std::exit(1);
    }
    return s;
}

// ---- The fixed output lines ------------------------------------------------------------------

struct load_figures {
    const char* load = "seq"; // or "64"
    int calls = 0;
    double seconds = 0;
    std::vector<double> trips_us; // sorted; empty for the 64-in-flight load
    snapshot used;                // what the load cost: after less before
};

/// What ran between two snapshots: commands (less the INFO that took the first), CPU seconds.
snapshot difference(const snapshot& before, const snapshot& after) {
    snapshot d;
    for (const auto& [name, n] : after.commands) {
        auto it = before.commands.find(name);
        long long k = n - (it == before.commands.end() ? 0 : it->second) - (name == "info" ? 1 : 0);
        if (k > 0) {
            d.commands[name] = k;
        }
    }
    d.redis_cpu = after.redis_cpu - before.redis_cpu;
    d.caller_cpu = after.caller_cpu - before.caller_cpu;
    d.workers_cpu = after.workers_cpu - before.workers_cpu;
    return d;
}

double percentile(const std::vector<double>& sorted, double q) {
    auto i = std::min(sorted.size() - 1, static_cast<std::size_t>(q * sorted.size()));
    return sorted[i];
}

/// `system` is "weft", or "weft-cN" for workers of concurrency N > 1 (not in run.sh's tables).
void report(const std::string& system, int workers, const load_figures& f) {
    long long total = 0;
    for (const auto& [name, n] : f.used.commands) {
        total += n;
    }
    std::printf("result system=%s workers=%d load=%s calls=%d secs=%.2f calls_per_s=%.1f "
                "cmds_per_call=%.2f caller_cpu_us=%.1f workers_cpu_us=%.1f redis_cpu_us=%.1f",
                system.c_str(), workers, f.load, f.calls, f.seconds, f.calls / f.seconds,
                static_cast<double>(total) / f.calls, f.used.caller_cpu * 1e6 / f.calls,
                f.used.workers_cpu * 1e6 / f.calls, f.used.redis_cpu * 1e6 / f.calls);
    if (!f.trips_us.empty()) {
        std::printf(" p50_us=%.1f p99_us=%.1f", percentile(f.trips_us, 0.5),
                    percentile(f.trips_us, 0.99));
    }
    std::vector<std::pair<long long, std::string>> top;
    for (const auto& [name, n] : f.used.commands) {
        top.emplace_back(-n, name);
    }
    std::sort(top.begin(), top.end());
    std::printf("\ncommands system=%s workers=%d load=%s", system.c_str(), workers, f.load);
    for (std::size_t i = 0; i < top.size() && i < 8; ++i) {
        std::printf(" %s=%.2f", top[i].second.c_str(),
                    static_cast<double>(-top[i].first) / f.calls);
    }
    std::printf("\n");
    std::fflush(stdout);
}

// ---- Worker processes ------------------------------------------------------------------------

/// Spawns `n` workers of this program serving `queue`, each in a process group of its own (so
/// that the children of its process_pool are signalled with it).
std::vector<pid_t> start_workers(int n, int concurrency, const std::string& url,
                                 const std::string& queue) {
    std::vector<pid_t> pids;
    for (int i = 0; i < n; ++i) {
        std::vector<std::string> args = {
            "weft-bench-redis-pool", "--weft-redis-worker",      url, "--queue", queue,
            "--concurrency",         std::to_string(concurrency)};
        std::vector<char*> argv;
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        posix_spawnattr_t attr;
        ::posix_spawnattr_init(&attr);
        ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
        ::posix_spawnattr_setpgroup(&attr, 0);
        pid_t pid = -1;
        int rc = ::posix_spawn(&pid, "/proc/self/exe", nullptr, &attr, argv.data(), environ);
        ::posix_spawnattr_destroy(&attr);
        if (rc != 0) {
            std::fprintf(stderr, "posix_spawn: %s\n", std::strerror(rc));
            std::exit(1);
        }
        pids.push_back(pid);
    }
    return pids;
}

/// SIGTERM to each worker (it drains: finishes its calls, stops its process pool, exits), SIGKILL
/// to its whole group (its pool's children, its fork server) if it has not exited after 10 s;
/// reaps them all. Only the worker is sent SIGTERM: a fork server or child that got it too would
/// die under the worker, which would then report its pool broken while draining.
void stop_workers(const std::vector<pid_t>& pids) {
    for (pid_t pid : pids) {
        ::kill(pid, SIGTERM);
    }
    auto deadline = clock_type::now() + std::chrono::seconds(10);
    for (pid_t pid : pids) {
        while (::waitpid(pid, nullptr, WNOHANG) == 0) {
            if (clock_type::now() > deadline) {
                ::kill(-pid, SIGKILL);
                ::waitpid(pid, nullptr, 0);
                break;
            }
            timespec pause{0, 10'000'000}; // polling a child's exit, outside any loop
            ::nanosleep(&pause, nullptr);
        }
        ::kill(-pid, SIGKILL); // the group's leftovers, if any
    }
}

// ---- The loads -------------------------------------------------------------------------------

/// One call at a time, each round trip timed.
weft::task<load_figures> sequential(weft::redis_pool& pool, const settings& s) {
    load_figures f;
    auto t0 = clock_type::now();
    for (int i = 0; i < s.seq_calls && seconds_since(t0) < s.seq_seconds; ++i) {
        auto t = clock_type::now();
        int v = co_await weft::run_in_executor(pool, trivial, i);
        f.trips_us.push_back(seconds_since(t) * 1e6);
        if (v != i + 1) {
            std::fprintf(stderr, "wrong result %d for %d\n", v, i);
            std::exit(1);
        }
    }
    f.seconds = seconds_since(t0);
    f.calls = static_cast<int>(f.trips_us.size());
    std::sort(f.trips_us.begin(), f.trips_us.end());
    co_return f;
}

/// `in_flight` calls outstanding, the oldest awaited first; stops submitting at `calls` or
/// `seconds` and drains.
weft::task<load_figures> windowed(weft::redis_pool& pool, int in_flight, int calls,
                                  double seconds) {
    load_figures f;
    f.load = "64";
    auto t0 = clock_type::now();
    std::deque<std::pair<int, weft::future<int>>> window;
    int sent = 0;
    while (sent < calls || !window.empty()) {
        if (sent < calls && static_cast<int>(window.size()) < in_flight) {
            window.emplace_back(sent, weft::run_in_executor(pool, trivial, sent));
            ++sent;
            if (seconds_since(t0) > seconds) {
                calls = sent;
            }
            continue;
        }
        auto [i, fut] = std::move(window.front());
        window.pop_front();
        int v = co_await fut;
        if (v != i + 1) {
            std::fprintf(stderr, "wrong result %d for %d\n", v, i);
            std::exit(1);
        }
        ++f.calls;
    }
    f.seconds = seconds_since(t0);
    co_return f;
}

/// Both loads for `n` workers, each between two snapshots. The snapshots (redis-cli, /proc) and
/// stop_workers() block the loop, for a few milliseconds and up to 10 s: only between loads, with
/// no call in flight, which a benchmark can afford and a server could not.
weft::task<void> measure(const settings& s, int n) {
    std::string url = "unix://" + s.socket;
    std::string queue = "weftbench" + std::to_string(n);
    weft::redis_pool::options opts;
    opts.url = url;
    opts.queue = queue;
    opts.call_timeout = std::chrono::seconds(60); // a lost call fails the run instead of hanging it
    weft::redis_pool pool(opts);
    std::string system = s.concurrency == 1 ? "weft" : "weft-c" + std::to_string(s.concurrency);
    auto pids = start_workers(n, s.concurrency, url, queue);
    try {
        // Warm up: connections open, every worker's child started, paths hot.
        for (int i = 0; i < 20; ++i) {
            (void)co_await weft::run_in_executor(pool, trivial, i);
        }
        (void)co_await windowed(pool, 64, 64 * 8, 10);
        auto before = take_snapshot(s.socket, pids);
        auto seq = co_await sequential(pool, s);
        seq.used = difference(before, take_snapshot(s.socket, pids));
        report(system, n, seq);
        before = take_snapshot(s.socket, pids);
        auto win = co_await windowed(pool, 64, s.window_calls, s.window_seconds);
        win.used = difference(before, take_snapshot(s.socket, pids));
        report(system, n, win);
    } catch (...) {
        stop_workers(pids);
        throw;
    }
    stop_workers(pids);
}

settings parse(int argc, char** argv) {
    settings s;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) {
            s.seq_calls = 200;
            s.seq_seconds = 5;
            s.window_calls = 2000;
            s.window_seconds = 5;
        } else if (std::strcmp(argv[i], "--concurrency") == 0 && i + 1 < argc) {
            s.concurrency = std::max(1, std::atoi(argv[++i]));
        } else if (std::strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
            s.socket = argv[++i];
        } else if (std::strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
            s.workers.clear();
            for (const char* p = argv[++i]; *p != '\0';) {
                s.workers.push_back(std::atoi(p));
                p += std::strcspn(p, ",");
                p += *p == ',' ? 1 : 0;
            }
        }
    }
    if (s.socket.empty()) {
        std::fprintf(stderr,
                     "usage: %s --socket PATH [--workers 1,2,4] [--concurrency 1] [--quick]\n",
                     argv[0]);
        std::exit(2);
    }
    return s;
}

} // namespace

WEFT_REMOTE(trivial);

int main(int argc, char** argv) {
    weft::init(argc, argv); // a worker (--weft-redis-worker ...) never returns from here
    settings s = parse(argc, argv);
    weft::run([&]() -> weft::task<void> {
        for (int n : s.workers) {
            co_await measure(s, n);
        }
    }());
    return 0;
}
