// `weft demo`: the asyncio seed examples, run in-process on built-in data (no network, no files),
// with a short walk-through. Every section checks what it shows; any failed check makes the
// command exit 1.

#include "commands.hpp"

#include <weft/weft.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace weft::tools {

namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

struct demo_options {
    int pages = 6;        // simulated page fetches in section 4
    int latency_ms = 200; // round trip of each
    int chain_ms = 1000;  // add()'s sleep in section 3, as in the seed
};

/// Prints the walk-through and keeps score of its checks.
class narrator {
public:
    void heading(int number, std::string_view title) {
        std::cout << '\n' << number << ". " << title << '\n';
    }

    template <class... Args>
    void line(const Args&... args) {
        std::cout << "   ";
        (std::cout << ... << args);
        std::cout << std::endl; // flushed: the sections take visible time
    }

    void check(bool ok, std::string_view what) {
        ++checks_;
        if (!ok) {
            ++failed_;
        }
        line(ok ? "[ok] " : "[FAILED] ", what);
    }

    [[nodiscard]] int checks() const noexcept { return checks_; }
    [[nodiscard]] int failed() const noexcept { return failed_; }

private:
    int checks_ = 0;
    int failed_ = 0;
};

std::string seconds(clock::duration d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f s", std::chrono::duration<double>(d).count());
    return buf;
}

const char* yes_no(bool b) {
    return b ? "yes" : "no";
}

// ---- 1. hello world

task<> hello(narrator& n, int& runs) {
    n.line("Hello, world!");
    ++runs;
    co_return;
}

void hello_section(narrator& n) {
    n.heading(1, "Hello world: a coroutine run by the event loop");
    int runs = 0;
    n.line("weft::run(hello());  // asyncio.run(hello())");
    weft::run(hello(n, runs));
    n.line("weft::loop lp; lp.run_until_complete(hello()); lp.close();");
    weft::loop lp;
    lp.run_until_complete(hello(n, runs));
    lp.close();
    n.check(runs == 2, "both forms ran the coroutine to completion");
}

// ---- 2. lazy coroutines

task<int> nested(bool& ran) {
    ran = true;
    co_return 42;
}

task<> lazy_section(narrator& n) {
    n.heading(2, "A coroutine is lazy: calling it runs nothing until it is awaited");
    bool ran = false;
    {
        task<int> unawaited = nested(ran);
        n.line("nested()          -> a weft::task<int>; body ran: ", yes_no(ran));
    }
    const bool ran_before_await = ran;
    const int value = co_await nested(ran);
    n.line("co_await nested() -> ", value, "; body ran: ", yes_no(ran));
    n.check(!ran_before_await && ran && value == 42,
            "the body runs only when awaited, and yields 42");
}

// ---- 3. await chains

task<int> add(narrator& n, int a, int b, milliseconds delay) {
    n.line("add: ", a, " + ", b);
    co_await weft::sleep(delay);
    co_return a + b;
}

task<> chain_section(narrator& n, const demo_options& o) {
    const milliseconds delay{o.chain_ms};
    n.heading(3, "An await chain: print_add awaits add(1, 2), which sleeps " + seconds(delay));
    const auto start = clock::now();
    const int result = co_await add(n, 1, 2, delay);
    const auto took = clock::now() - start;
    n.line("print_add: 1 + 2 = ", result, "    (", seconds(took), " later)");
    n.check(result == 3 && took >= delay, "add returned 3 after its sleep");
}

// ---- 4. concurrent tasks

/// A simulated page fetch: one round trip, then the page's length.
task<std::size_t> fetch(std::size_t page, milliseconds latency) {
    co_await weft::sleep(latency);
    co_return 4096 + 1237 * page;
}

std::string bar(clock::duration part, clock::duration whole, int width = 40) {
    const double share = std::chrono::duration<double>(part) / std::chrono::duration<double>(whole);
    return std::string(static_cast<std::size_t>(std::clamp(share, 0.0, 1.0) * width + 0.5), '#');
}

std::string join(const std::vector<std::size_t>& v) {
    std::string s;
    for (std::size_t x : v) {
        s += (s.empty() ? "" : ", ") + std::to_string(x);
    }
    return "[" + s + "]";
}

task<> slow_job() {
    co_await weft::sleep(1h);
}

task<> tasks_section(narrator& n, const demo_options& o) {
    const milliseconds latency{o.latency_ms};
    const auto pages = static_cast<std::size_t>(o.pages);
    n.heading(4, "Tasks run concurrently: " + std::to_string(pages) + " page fetches of " +
                     std::to_string(o.latency_ms) + " ms each, on one thread");

    // One after the other: the cost is the sum of the round trips.
    auto start = clock::now();
    std::vector<std::size_t> one_by_one;
    for (std::size_t i = 0; i < pages; ++i) {
        one_by_one.push_back(co_await fetch(i, latency));
    }
    const auto sequential = clock::now() - start;

    // As tasks (seed 5: ensure_future each, then gather): the cost is about one round trip.
    start = clock::now();
    std::vector<future<std::size_t>> futures;
    for (std::size_t i = 0; i < pages; ++i) {
        futures.push_back(weft::ensure_future(fetch(i, latency)));
    }
    const std::vector<std::size_t> together = co_await weft::gather(futures);
    const auto concurrent = clock::now() - start;

    n.line("page lengths: ", join(together));
    n.line("sequential  ", seconds(sequential), "  ", bar(sequential, sequential));
    n.line("gather      ", seconds(concurrent), "  ", bar(concurrent, sequential));
    char speedup[32];
    std::snprintf(speedup, sizeof speedup, "%.1fx",
                  std::chrono::duration<double>(sequential) /
                      std::chrono::duration<double>(concurrent));
    n.line("speed-up    ", speedup);
    n.check(together == one_by_one, "both ways fetched the same pages, in order");
    n.check(sequential >= latency * o.pages && concurrent < latency * 2,
            "sequential costs the sum of the round trips, gather about one");

    // A task can also be cancelled; awaiting it then throws cancelled_error.
    future<> job = weft::create_task(slow_job());
    co_await weft::yield();
    job.cancel();
    try {
        co_await job;
    } catch (const cancelled_error&) {
    }
    n.line("create_task(slow_job()), then cancel(): cancelled() = ", yes_no(job.cancelled()));
    n.check(job.cancelled(), "the cancelled task reports cancelled()");
}

// ---- 5. gather's order

task<std::string> finish_after(std::string name, milliseconds delay, std::string& finished) {
    co_await weft::sleep(delay);
    finished += name;
    co_return name;
}

task<> gather_section(narrator& n) {
    n.heading(5, "gather returns results in argument order, whatever order they finish in");
    std::string finished;
    auto [a, b, c] =
        co_await weft::gather(finish_after("a", 60ms, finished), finish_after("b", 40ms, finished),
                              finish_after("c", 20ms, finished));
    n.line("gather(a: 60 ms, b: 40 ms, c: 20 ms)");
    n.line("finished in the order ", finished, ", returned ", a, b, c);
    n.check(finished == "cba" && a + b + c == "abc", "results keep argument order");
}

// ---- 6. blocking calls leave the loop (seed 5 as written: urlopen in run_in_executor)

/// A blocking page fetch, standing in for urlopen(url).read(): it holds its thread.
std::size_t blocking_fetch(std::size_t page, milliseconds latency) {
    std::this_thread::sleep_for(latency);
    return 4096 + 1237 * page;
}

task<> executor_section(narrator& n, const demo_options& o) {
    const milliseconds latency{o.latency_ms};
    const auto pages = static_cast<std::size_t>(o.pages);
    n.heading(6, "Blocking calls leave the loop: " + std::to_string(pages) +
                     " blocking fetches through run_in_executor(nullptr, fetch, page)");

    auto start = clock::now();
    std::vector<std::size_t> one_by_one;
    for (std::size_t i = 0; i < pages; ++i) {
        one_by_one.push_back(co_await weft::run_in_executor(nullptr, blocking_fetch, i, latency));
    }
    const auto sequential = clock::now() - start;

    start = clock::now();
    std::vector<future<std::size_t>> futures;
    for (std::size_t i = 0; i < pages; ++i) {
        futures.push_back(weft::run_in_executor(nullptr, blocking_fetch, i, latency));
    }
    const std::vector<std::size_t> together = co_await weft::gather(futures);
    const auto concurrent = clock::now() - start;

    n.line("one at a time  ", seconds(sequential), "  ", bar(sequential, sequential));
    n.line("all at once    ", seconds(concurrent), "  ", bar(concurrent, sequential));
    n.check(together == one_by_one, "the executor returned every page, in order");
    n.check(concurrent < latency * 2,
            "the blocking calls ran in parallel on the shared pool; the loop never blocked");
}

// ---- 7. partial (seed 6)

std::string print_words(const std::string& a, const std::string& b, const std::string& c) {
    return a + "-" + b + "-" + c;
}

task<> partial_section(narrator& n) {
    n.heading(7, "functools.partial: bound arguments first, more at the call");
    auto hello = weft::partial(print_words, "Hello", "Python");
    const std::string direct = hello("Script");
    const std::string via_pool = co_await weft::run_in_executor(nullptr, hello, "Script");
    n.line("partial(print_words, \"Hello\", \"Python\")(\"Script\") -> ", direct);
    n.line("run_in_executor(nullptr, hello, \"Script\")            -> ", via_pool);
    n.check(direct == "Hello-Python-Script" && via_pool == direct,
            "the partial appends the call's arguments to the bound ones");
}

task<> walkthrough(narrator& n, const demo_options& o) {
    co_await lazy_section(n);
    co_await chain_section(n, o);
    co_await tasks_section(n, o);
    co_await gather_section(n);
    co_await executor_section(n, o);
    co_await partial_section(n);
}

int run_demo(const demo_options& o) {
    narrator n;
    std::cout << "weft " << weft::version() << " demo: the asyncio seed examples, in C++\n";
    try {
        hello_section(n);
        // One loop, one thread: the concurrency below comes from the event loop, not threads.
        weft::run(walkthrough(n, o), {.loops = 1});
    } catch (const std::exception& e) {
        std::cerr << "weft demo: unexpected error: " << e.what() << '\n';
        return 1;
    } catch (const cancelled_error& e) {
        std::cerr << "weft demo: unexpected cancellation: " << e.what() << '\n';
        return 1;
    }
    std::cout << '\n';
    if (n.failed() != 0) {
        std::cout << n.failed() << " of " << n.checks() << " checks FAILED\n";
        return 1;
    }
    std::cout << "all " << n.checks() << " checks passed\n";
    return 0;
}

command add_demo_command(CLI::App& app) {
    auto opts = std::make_shared<demo_options>();
    CLI::App* sub = app.add_subcommand(
        "demo", "Walk through the asyncio seed examples, run by weft (no network, no files)");
    sub->add_option("--pages", opts->pages, "Simulated page fetches")
        ->check(CLI::Range(1, 20))
        ->capture_default_str();
    sub->add_option("--latency", opts->latency_ms, "Round trip of each simulated fetch, in ms")
        ->check(CLI::Range(10, 1000))
        ->capture_default_str();
    return {sub, [opts] { return run_demo(*opts); }};
}

const command_registration registered{10, &add_demo_command};

} // namespace

} // namespace weft::tools
