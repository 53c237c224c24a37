// The seed examples (shared/SEED-EXAMPLES.md) 1-4 and 7 as tests: what an asyncio user writes,
// written with weft, with the printed lines collected in a transcript.

#include <weft/runtime.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

/// print(): one line into a transcript.
class transcript {
public:
    template <class... Args>
    void print(const Args&... args) {
        std::ostringstream line;
        (line << ... << args);
        lines_.push_back(line.str());
    }
    [[nodiscard]] const std::vector<std::string>& lines() const { return lines_; }

private:
    std::vector<std::string> lines_;
};

// ---- 1. native coroutine and the loop ----------------------------------------------------------

weft::task<> hello(transcript& out) {
    out.print("Hello, world!");
    co_return;
}

// ---- 2. calling a coroutine does nothing until awaited ------------------------------------------

weft::task<int> nested(transcript& out) {
    out.print("nested running");
    co_return 42;
}

// ---- 3. await chains ----------------------------------------------------------------------------

constexpr auto seed3_delay = 20ms; // the note sleeps one second

weft::task<int> add(transcript& out, int a, int b) {
    out.print("add: ", a, " + ", b);
    co_await weft::sleep(seed3_delay);
    co_return a + b;
}

weft::task<> print_add(transcript& out, int a, int b) {
    int result = co_await add(out, a, b);
    out.print("print_add: ", a, " + ", b, " = ", result);
}

// ---- 4. tasks schedule concurrently
// ---------------------------------------------------------------

weft::task<int> nested_sleepy(transcript& out) {
    out.print("nested: started");
    co_await weft::sleep(50ms); // well after main's 5 ms sleep, whatever the scheduling jitter
    out.print("nested: returning 42");
    co_return 42;
}

weft::task<> slow_job(transcript& out) {
    try {
        co_await weft::sleep(1h);
    } catch (const weft::cancelled_error&) {
        out.print("slow_job: cancelled, cleaning up");
        throw;
    }
}

// ---- 7. gather ----------------------------------------------------------------------------------

weft::task<int> square_after(int x, std::chrono::milliseconds d) {
    co_await weft::sleep(d);
    co_return x* x;
}

} // namespace

TEST(seed_examples, seed1_hello_with_run) {
    transcript out;
    weft::run(hello(out), {.loops = 1});
    EXPECT_EQ(out.lines(), std::vector<std::string>{"Hello, world!"});
}

TEST(seed_examples, seed1_hello_with_a_loop_object) {
    // loop = get_event_loop(); loop.run_until_complete(hello()); loop.close()
    transcript out;
    weft::loop l;
    l.run_until_complete(hello(out));
    l.close();
    EXPECT_TRUE(l.is_closed());
    EXPECT_EQ(out.lines(), std::vector<std::string>{"Hello, world!"});
}

TEST(seed_examples, seed2_calling_a_coroutine_does_nothing_until_awaited) {
    transcript out;
    int v = weft::run(
        [](transcript& out) -> weft::task<int> {
            { auto never_awaited = nested(out); } // created and dropped: never runs
            EXPECT_TRUE(out.lines().empty());
            co_return co_await nested(out);
        }(out),
        {.loops = 1});
    EXPECT_EQ(v, 42);
    EXPECT_EQ(out.lines(), std::vector<std::string>{"nested running"});
}

TEST(seed_examples, seed3_await_chain) {
    transcript out;
    const auto start = weft::clock::now();
    weft::run(print_add(out, 1, 2), {.loops = 1});
    EXPECT_GE(weft::clock::now() - start, seed3_delay);
    EXPECT_EQ(out.lines(), (std::vector<std::string>{"add: 1 + 2", "print_add: 1 + 2 = 3"}));
}

TEST(seed_examples, seed4_tasks_run_concurrently_and_can_be_cancelled) {
    transcript out;
    weft::run(
        [](transcript& out) -> weft::task<> {
            auto task = weft::create_task(nested_sleepy(out));
            out.print("main: task created");
            co_await weft::sleep(5ms); // nested() starts while main sleeps
            out.print("main: still running while nested sleeps");
            int v = co_await task;
            out.print("main: await task -> ", v);

            auto job = weft::create_task(slow_job(out));
            co_await weft::sleep(0ms); // let it start
            job.cancel();
            try {
                co_await job;
            } catch (const weft::cancelled_error&) {
                out.print("main: job.cancelled() = ", job.cancelled());
            }
        }(out),
        {.loops = 1});
    EXPECT_EQ(out.lines(), (std::vector<std::string>{
                               "main: task created",
                               "nested: started",
                               "main: still running while nested sleeps",
                               "nested: returning 42",
                               "main: await task -> 42",
                               "slow_job: cancelled, cleaning up",
                               "main: job.cancelled() = 1",
                           }));
}

TEST(seed_examples, seed7_gather_keeps_argument_order) {
    // The note claims the order may differ; asyncio (and weft) keep argument order.
    auto results = weft::run(
        []() -> weft::task<std::vector<int>> {
            std::vector<weft::future<int>> futures;
            for (int i = 1; i <= 5; ++i) {
                futures.push_back(
                    weft::ensure_future(square_after(i, std::chrono::milliseconds((6 - i) * 5))));
            }
            co_return co_await weft::gather(futures);
        }(),
        {.loops = 2});
    EXPECT_EQ(results, (std::vector<int>{1, 4, 9, 16, 25}));
    auto [a, b, c] = weft::run(
        []() -> weft::task<std::tuple<int, int, int>> {
            co_return co_await weft::gather(square_after(3, 15ms), square_after(1, 5ms),
                                            square_after(2, 10ms));
        }(),
        {.loops = 1});
    EXPECT_EQ(a, 9);
    EXPECT_EQ(b, 1);
    EXPECT_EQ(c, 4);
}
