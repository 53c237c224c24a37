// gather_bounded / gather_bounded_settled: the concurrency limit, argument order, failure and
// cancellation (nothing outlives the call, the rest never starts), the settled variant.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/event.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/gather_bounded.hpp>
#include <weft/runtime/outcome.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/wait_for.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <ranges>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace {

/// How many items run at once, and the most seen.
struct gauge {
    int running = 0;
    int most = 0;
    int started = 0;
    int finished = 0;
    void enter() {
        ++started;
        most = std::max(most, ++running);
    }
    void leave() {
        --running;
        ++finished;
    }
};

/// Runs for `yields` loop rounds, then returns v.
weft::task<int> item(gauge& g, int v, int yields) {
    g.enter();
    for (int i = 0; i < yields; ++i) {
        co_await weft::yield();
    }
    g.leave();
    co_return v;
}

weft::task<int> failing(gauge& g, int yields, std::string what) {
    g.enter();
    for (int i = 0; i < yields; ++i) {
        co_await weft::yield();
    }
    g.leave();
    throw std::runtime_error(what);
}

struct unwind_log {
    int cancelled = 0;
    int cleaned_up = 0;
};

/// Never finishes by itself; on cancellation it cleans up (suspending) and rethrows.
weft::task<int> until_cancelled(gauge& g, unwind_log& log) {
    g.enter();
    try {
        co_await weft::testing::until_cancelled();
    } catch (const weft::cancelled_error&) {
        ++log.cancelled;
    }
    co_await weft::yield(); // cleanup that suspends
    co_await weft::yield();
    ++log.cleaned_up;
    g.leave();
    throw weft::cancelled_error("unwound");
}

/// Swallows its cancellation and returns a value.
weft::task<int> stubborn(gauge& g) {
    g.enter();
    try {
        co_await weft::testing::until_cancelled();
    } catch (const weft::cancelled_error&) {
    }
    g.leave();
    co_return -1;
}

} // namespace

WEFT_CO_TEST(gather_bounded, never_exceeds_the_limit_and_keeps_order) {
    gauge g;
    std::vector<weft::task<int>> tasks;
    for (int i = 0; i < 40; ++i) {
        tasks.push_back(item(g, i, (i * 7) % 5)); // completion order differs from argument order
    }
    std::vector<int> r = co_await weft::gather_bounded(tasks, 4);
    WEFT_CO_ASSERT_EQ(r.size(), 40u);
    for (int i = 0; i < 40; ++i) {
        EXPECT_EQ(r[static_cast<std::size_t>(i)], i);
    }
    EXPECT_EQ(g.most, 4) << "the window is full while items remain, never more";
    EXPECT_EQ(g.started, 40);
    EXPECT_EQ(g.running, 0);
}

WEFT_CO_TEST(gather_bounded, ten_thousand_items_sixty_four_at_a_time) {
    gauge g;
    std::vector<weft::task<int>> tasks;
    tasks.reserve(10'000);
    for (int i = 0; i < 10'000; ++i) {
        tasks.push_back(item(g, i, 1 + i % 3));
    }
    std::vector<int> r = co_await weft::gather_bounded(tasks, 64);
    WEFT_CO_ASSERT_EQ(r.size(), 10'000u);
    bool in_order = true;
    for (std::size_t i = 0; i < r.size(); ++i) {
        in_order = in_order && r[i] == static_cast<int>(i);
    }
    EXPECT_TRUE(in_order);
    EXPECT_EQ(g.most, 64);
}

WEFT_CO_TEST(gather_bounded, limit_above_the_count_runs_them_all_at_once) {
    gauge g;
    std::vector<weft::task<int>> tasks;
    for (int i = 0; i < 5; ++i) {
        tasks.push_back(item(g, i, 2));
    }
    std::vector<int> r = co_await weft::gather_bounded(tasks, 100);
    EXPECT_EQ(r, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_EQ(g.most, 5);
}

WEFT_CO_TEST(gather_bounded, limit_of_one_runs_them_one_by_one) {
    gauge g;
    std::vector<weft::task<int>> tasks;
    for (int i = 0; i < 6; ++i) {
        tasks.push_back(item(g, i, 2));
    }
    std::vector<int> r = co_await weft::gather_bounded(tasks, 1);
    EXPECT_EQ(r.size(), 6u);
    EXPECT_EQ(g.most, 1);
}

WEFT_CO_TEST(gather_bounded, zero_limit_is_rejected_at_the_call) {
    std::vector<weft::task<int>> tasks;
    EXPECT_THROW((void)weft::gather_bounded(tasks, 0), weft::invalid_state_error);
    EXPECT_THROW((void)weft::gather_bounded_settled(tasks, 0), weft::invalid_state_error);
    co_return;
}

WEFT_CO_TEST(gather_bounded, empty_range_returns_at_once) {
    std::vector<weft::task<int>> tasks;
    std::vector<int> r = co_await weft::gather_bounded(tasks, 3);
    EXPECT_TRUE(r.empty());
    auto s = co_await weft::gather_bounded_settled(tasks, 3);
    EXPECT_TRUE(s.empty());
}

WEFT_CO_TEST(gather_bounded, failure_cancels_the_running_ones_and_starts_no_more) {
    gauge g;
    unwind_log log;
    std::vector<weft::task<int>> tasks;
    tasks.push_back(until_cancelled(g, log));
    tasks.push_back(until_cancelled(g, log));
    tasks.push_back(failing(g, 3, "third"));
    for (int i = 0; i < 7; ++i) {
        tasks.push_back(item(g, i, 1));
    }
    try {
        (void)co_await weft::gather_bounded(tasks, 3);
        ADD_FAILURE() << "expected the failure";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "third");
    }
    EXPECT_EQ(g.started, 3) << "nothing starts after the failure";
    EXPECT_EQ(log.cancelled, 2);
    EXPECT_EQ(log.cleaned_up, 2) << "the running ones unwound before the call returned";
    EXPECT_EQ(g.running, 0);
}

WEFT_CO_TEST(gather_bounded, a_task_that_swallows_the_cancel_does_not_start_the_rest) {
    gauge g;
    std::vector<weft::task<int>> tasks;
    tasks.push_back(stubborn(g));
    tasks.push_back(failing(g, 2, "boom"));
    for (int i = 0; i < 4; ++i) {
        tasks.push_back(item(g, i, 1));
    }
    EXPECT_THROW((void)co_await weft::gather_bounded(tasks, 2), std::runtime_error);
    EXPECT_EQ(g.started, 2);
    EXPECT_EQ(g.running, 0);
}

WEFT_CO_TEST(gather_bounded, cancelling_it_cancels_the_running_ones_and_waits) {
    gauge g;
    unwind_log log;
    std::vector<weft::task<int>> tasks;
    for (int i = 0; i < 6; ++i) {
        tasks.push_back(until_cancelled(g, log));
    }
    auto f = weft::create_task(weft::gather_bounded(tasks, 2));
    bool two = co_await weft::testing::yield_until([&] { return g.running == 2; });
    WEFT_CO_ASSERT_TRUE(two);
    EXPECT_TRUE(f.cancel());
    EXPECT_THROW((void)co_await f, weft::cancelled_error);
    EXPECT_EQ(g.started, 2);
    EXPECT_EQ(log.cleaned_up, 2);
    EXPECT_EQ(g.running, 0);
}

WEFT_CO_TEST(gather_bounded, cancelled_before_it_starts_runs_nothing) {
    gauge g;
    std::vector<weft::task<int>> tasks;
    for (int i = 0; i < 3; ++i) {
        tasks.push_back(item(g, i, 1));
    }
    auto f = weft::create_task(weft::gather_bounded(tasks, 2));
    f.cancel();
    EXPECT_THROW((void)co_await f, weft::cancelled_error);
    EXPECT_EQ(g.started, 0);
}

WEFT_CO_TEST(gather_bounded, accepts_futures_and_void_tasks) {
    std::vector<weft::promise<int>> ps(3);
    std::vector<weft::future<int>> fs;
    for (auto& p : ps) {
        fs.push_back(p.get_future());
    }
    auto driver = [](std::vector<weft::promise<int>>& ps) -> weft::task<void> {
        for (int i = 2; i >= 0; --i) {
            co_await weft::yield();
            ps[static_cast<std::size_t>(i)].set_value(i + 100);
        }
    };
    auto d = weft::create_task(driver(ps));
    std::vector<int> r = co_await weft::gather_bounded(fs, 2);
    EXPECT_EQ(r, (std::vector<int>{100, 101, 102}));
    co_await d;

    int ran = 0;
    std::vector<weft::task<void>> vs;
    for (int i = 0; i < 4; ++i) {
        vs.push_back([](int& ran) -> weft::task<void> {
            co_await weft::yield();
            ++ran;
        }(ran));
    }
    auto units = co_await weft::gather_bounded(vs, 3);
    static_assert(std::is_same_v<decltype(units), std::vector<std::monostate>>);
    EXPECT_EQ(units.size(), 4u);
    EXPECT_EQ(ran, 4);
}

WEFT_CO_TEST(gather_bounded_settled, runs_everything_and_keeps_order) {
    gauge g;
    std::vector<weft::task<int>> tasks;
    for (int i = 0; i < 12; ++i) {
        if (i % 4 == 1) {
            tasks.push_back(failing(g, i % 3, "item " + std::to_string(i)));
        } else {
            tasks.push_back(item(g, i, i % 3));
        }
    }
    std::vector<weft::outcome<int>> r = co_await weft::gather_bounded_settled(tasks, 3);
    WEFT_CO_ASSERT_EQ(r.size(), 12u);
    for (int i = 0; i < 12; ++i) {
        const auto& o = r[static_cast<std::size_t>(i)];
        if (i % 4 == 1) {
            EXPECT_TRUE(o.has_exception()) << i;
            EXPECT_FALSE(o.cancelled()) << i;
        } else {
            EXPECT_TRUE(o.has_value()) << i;
            EXPECT_EQ(o.value(), i);
        }
    }
    EXPECT_EQ(g.started, 12) << "a failure cancels nothing";
    EXPECT_EQ(g.most, 3);
}

WEFT_CO_TEST(gather_bounded_settled, reports_a_task_cancelled_on_its_own_and_goes_on) {
    std::vector<weft::task<int>> tasks;
    tasks.push_back([]() -> weft::task<int> {
        co_await weft::yield();
        throw weft::cancelled_error("inner gave up");
    }());
    tasks.push_back([]() -> weft::task<int> {
        co_await weft::yield();
        co_return 2;
    }());
    std::vector<weft::outcome<int>> r = co_await weft::gather_bounded_settled(tasks, 1);
    WEFT_CO_ASSERT_EQ(r.size(), 2u);
    EXPECT_TRUE(r[0].cancelled());
    EXPECT_EQ(r[1].value(), 2);
}

WEFT_CO_TEST(gather_bounded_settled, cancelling_it_stops_and_starts_no_more) {
    gauge g;
    unwind_log log;
    std::vector<weft::task<int>> tasks;
    for (int i = 0; i < 6; ++i) {
        tasks.push_back(until_cancelled(g, log));
    }
    auto f = weft::create_task(weft::gather_bounded_settled(tasks, 3));
    bool three = co_await weft::testing::yield_until([&] { return g.running == 3; });
    WEFT_CO_ASSERT_TRUE(three);
    f.cancel();
    EXPECT_THROW((void)co_await f, weft::cancelled_error);
    EXPECT_EQ(g.started, 3) << "the settled form does not take our cancel as an outcome";
    EXPECT_EQ(log.cleaned_up, 3);
}

WEFT_CO_TEST(gather_bounded, a_view_is_walked_lazily) {
    gauge g;
    int made = 0;
    int most_alive = 0;
    auto make = [&](int i) -> weft::task<int> {
        ++made;
        return [](gauge& g, int& made, int& most_alive, int i) -> weft::task<int> {
            most_alive = std::max(most_alive, made - g.finished);
            int v = co_await item(g, i, 1 + i % 3);
            co_return v;
        }(g, made, most_alive, i);
    };
    auto pages = std::views::iota(0, 300) | std::views::transform(make);
    std::vector<int> r = co_await weft::gather_bounded(pages, 8);
    WEFT_CO_ASSERT_EQ(r.size(), 300u);
    for (int i = 0; i < 300; ++i) {
        EXPECT_EQ(r[static_cast<std::size_t>(i)], i);
    }
    EXPECT_EQ(made, 300);
    EXPECT_LE(most_alive, 8) << "a task is made only when a slot is free";
    EXPECT_EQ(g.most, 8);

    // A view over a vector of tasks moves them out as they start; a failure leaves the rest.
    gauge h;
    std::vector<weft::task<int>> tasks;
    tasks.push_back(item(h, 0, 1));
    tasks.push_back(failing(h, 1, "one"));
    for (int i = 2; i < 6; ++i) {
        tasks.push_back(item(h, i, 3));
    }
    EXPECT_THROW((void)co_await weft::gather_bounded(std::views::all(tasks), 2),
                 std::runtime_error);
    EXPECT_EQ(h.started, 3) << "the two first, then one more before the failure";
    EXPECT_FALSE(tasks[0].valid());
    EXPECT_TRUE(tasks[5].valid()) << "never taken out of the vector";

    auto settled = co_await weft::gather_bounded_settled(
        std::views::iota(0, 5) | std::views::transform([&](int i) { return item(g, i, 1); }), 2);
    EXPECT_EQ(settled.size(), 5u);
}

WEFT_CO_TEST(gather_bounded, an_exception_from_the_view_itself_propagates) {
    gauge g;
    auto make = [&](int i) -> weft::task<int> {
        if (i == 3) {
            throw std::logic_error("no task for 3");
        }
        return item(g, i, 2);
    };
    auto items = std::views::iota(0, 8) | std::views::transform(make);
    EXPECT_THROW((void)co_await weft::gather_bounded(items, 2), std::logic_error);
    EXPECT_EQ(g.started, 3);
    EXPECT_EQ(g.finished, 2) << "fail-fast: the one running when the range threw was cancelled";
    gauge h;
    auto make_h = [&](int i) -> weft::task<int> {
        if (i == 3) {
            throw std::logic_error("no task for 3");
        }
        return item(h, i, 2);
    };
    auto items_h = std::views::iota(0, 8) | std::views::transform(make_h);
    EXPECT_THROW((void)co_await weft::gather_bounded_settled(items_h, 2), std::logic_error);
    EXPECT_EQ(h.started, 3) << "nothing starts after the range threw";
    EXPECT_EQ(h.finished, 3) << "the running ones finished before it propagated";
}
