// gather / gather_settled: argument order, void results, ranges, failure and cancellation.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/outcome.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/wait_for.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

using namespace std::chrono_literals;

namespace {

/// Returns v after d, logging completion order.
weft::task<int> delayed(int v, std::chrono::milliseconds d, std::vector<int>& done) {
    co_await weft::sleep(d);
    done.push_back(v);
    co_return v;
}

weft::task<int> value(int v) {
    co_await weft::yield();
    co_return v;
}

weft::task<void> nothing(bool& ran) {
    co_await weft::yield();
    ran = true;
}

weft::task<std::string> text(std::string s) {
    co_await weft::yield();
    co_return s;
}

weft::task<int> fail_after(int yields, std::string what) {
    for (int i = 0; i < yields; ++i) {
        co_await weft::yield();
    }
    throw std::runtime_error(what);
}

/// What a sibling saw of its cancellation.
struct sibling_log {
    bool started = false;
    bool caught_cancel = false;
    bool cleanup_finished = false;
};

/// Waits until cancelled; its cleanup suspends (so an early return would be visible) then rethrows.
weft::task<int> cancellable_sibling(sibling_log& log) {
    log.started = true;
    try {
        co_await weft::testing::until_cancelled();
    } catch (const weft::cancelled_error&) {
        log.caught_cancel = true;
    }
    co_await weft::yield();
    co_await weft::sleep(1ms);
    log.cleanup_finished = true;
    throw weft::cancelled_error("sibling unwound");
}

} // namespace

WEFT_CO_TEST(gather, keeps_argument_order) {
    std::vector<int> done;
    auto [a, b, c] = co_await weft::gather(delayed(3, 30ms, done), delayed(1, 10ms, done),
                                           delayed(2, 20ms, done));
    EXPECT_EQ(done, (std::vector<int>{1, 2, 3})) << "they finished in delay order";
    EXPECT_EQ(a, 3);
    EXPECT_EQ(b, 1);
    EXPECT_EQ(c, 2);
}

WEFT_CO_TEST(gather, runs_its_awaitables_concurrently) {
    // The first child can only finish once the second has run: sequential awaiting would hang.
    weft::testing::event second_ran;
    auto first = [](weft::future<void> other) -> weft::task<int> {
        co_await other;
        co_return 1;
    };
    auto second = [](weft::testing::event& e) -> weft::task<int> {
        e.set();
        co_return 2;
    };
    auto [a, b] = co_await weft::wait_for(
        weft::gather(first(second_ran.wait()), second(second_ran)), std::chrono::seconds(30));
    EXPECT_EQ(a, 1);
    EXPECT_EQ(b, 2);
}

WEFT_CO_TEST(gather, mixes_result_types_and_turns_void_into_monostate) {
    bool ran = false;
    auto result = co_await weft::gather(value(1), nothing(ran), text("two"));
    static_assert(std::is_same_v<decltype(result), std::tuple<int, std::monostate, std::string>>);
    EXPECT_EQ(std::get<0>(result), 1);
    EXPECT_TRUE(ran);
    EXPECT_EQ(std::get<2>(result), "two");
}

WEFT_CO_TEST(gather, accepts_futures_and_other_awaitables) {
    weft::promise<int> p;
    weft::future<int> f = weft::create_task(value(5));
    weft::future<int> pf = p.get_future();
    p.set_value(6);
    auto [a, b, c] = co_await weft::gather(f, std::move(pf), weft::sleep(1ms));
    EXPECT_EQ(a, 5);
    EXPECT_EQ(b, 6);
    static_assert(std::is_same_v<std::remove_cvref_t<decltype(c)>, std::monostate>);
}

WEFT_CO_TEST(gather, range_of_tasks_keeps_order) {
    std::vector<int> done;
    std::vector<weft::task<int>> tasks;
    for (int i = 0; i < 10; ++i) {
        tasks.push_back(delayed(i, std::chrono::milliseconds((10 - i) * 5), done));
    }
    std::vector<int> r = co_await weft::gather(tasks);
    WEFT_CO_ASSERT_EQ(r.size(), 10u);
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(r[i], i);
    }
    EXPECT_EQ(done.front(), 9) << "the shortest delay finished first";
    for (const auto& t : tasks) {
        EXPECT_FALSE(t.valid()) << "gather moves the tasks out of the range";
    }
}

WEFT_CO_TEST(gather, range_of_futures_keeps_order) {
    std::vector<int> done;
    std::vector<weft::future<int>> fs;
    for (int i = 0; i < 10; ++i) {
        fs.push_back(weft::create_task(delayed(i, std::chrono::milliseconds((10 - i) * 5), done)));
    }
    std::vector<int> r = co_await weft::gather(fs);
    WEFT_CO_ASSERT_EQ(r.size(), 10u);
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(r[i], i);
    }
    for (const auto& f : fs) {
        EXPECT_TRUE(f.valid()) << "futures in the range are copied";
        EXPECT_TRUE(f.done());
    }
}

WEFT_CO_TEST(gather, range_of_void_tasks_gives_monostates) {
    bool ran[3] = {false, false, false};
    std::vector<weft::task<void>> tasks;
    for (bool& r : ran) {
        tasks.push_back(nothing(r));
    }
    std::vector<std::monostate> r = co_await weft::gather(tasks);
    EXPECT_EQ(r.size(), 3u);
    EXPECT_TRUE(ran[0] && ran[1] && ran[2]);
}

WEFT_CO_TEST(gather, empty_range_returns_at_once) {
    std::vector<weft::task<int>> none;
    std::vector<int> r = co_await weft::gather(none);
    EXPECT_TRUE(r.empty());
    std::vector<weft::future<int>> no_futures;
    auto settled = co_await weft::gather_settled(no_futures);
    EXPECT_TRUE(settled.empty());
}

WEFT_CO_TEST(gather, first_exception_cancels_siblings_and_waits_for_them) {
    sibling_log s1;
    sibling_log s2;
    try {
        (void)co_await weft::gather(cancellable_sibling(s1), fail_after(2, "first"),
                                    cancellable_sibling(s2));
        ADD_FAILURE() << "gather should have thrown";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "first");
        // Nothing outlives its awaiter: the siblings have finished their cleanup by now.
        EXPECT_TRUE(s1.caught_cancel);
        EXPECT_TRUE(s1.cleanup_finished);
        EXPECT_TRUE(s2.caught_cancel);
        EXPECT_TRUE(s2.cleanup_finished);
    }
}

WEFT_CO_TEST(gather, range_form_cancels_siblings_on_the_first_exception) {
    sibling_log logs[4];
    std::vector<weft::task<int>> tasks;
    tasks.push_back(cancellable_sibling(logs[0]));
    tasks.push_back(cancellable_sibling(logs[1]));
    tasks.push_back(fail_after(1, "range failure"));
    tasks.push_back(cancellable_sibling(logs[2]));
    tasks.push_back(cancellable_sibling(logs[3]));
    EXPECT_THROW((void)co_await weft::gather(tasks), std::runtime_error);
    for (const sibling_log& l : logs) {
        EXPECT_TRUE(l.started);
        EXPECT_TRUE(l.caught_cancel);
        EXPECT_TRUE(l.cleanup_finished);
    }
}

WEFT_CO_TEST(gather, only_the_first_exception_propagates) {
    try {
        (void)co_await weft::gather(fail_after(3, "late"), fail_after(1, "early"),
                                    fail_after(3, "late too"));
        ADD_FAILURE() << "gather should have thrown";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "early");
    }
}

WEFT_CO_TEST(gather, cancelling_the_gather_cancels_every_child) {
    sibling_log logs[3];
    weft::future<std::tuple<int, int, int>> g = weft::create_task(weft::gather(
        cancellable_sibling(logs[0]), cancellable_sibling(logs[1]), cancellable_sibling(logs[2])));
    bool started = co_await weft::testing::yield_until(
        [&] { return logs[0].started && logs[1].started && logs[2].started; });
    WEFT_CO_ASSERT_TRUE(started);
    EXPECT_TRUE(g.cancel());
    EXPECT_THROW((void)co_await g, weft::cancelled_error);
    EXPECT_TRUE(g.cancelled());
    for (const sibling_log& l : logs) {
        EXPECT_TRUE(l.caught_cancel);
        EXPECT_TRUE(l.cleanup_finished) << "the gather waited for its children to unwind";
    }
}

WEFT_CO_TEST(gather, cancelled_before_it_starts_runs_no_child) {
    sibling_log logs[2];
    auto g =
        weft::create_task(weft::gather(cancellable_sibling(logs[0]), cancellable_sibling(logs[1])));
    g.cancel();
    EXPECT_THROW((void)co_await g, weft::cancelled_error);
    EXPECT_FALSE(logs[0].started);
    EXPECT_FALSE(logs[1].started);
}

WEFT_CO_TEST(gather_settled, collects_values_and_exceptions_in_order) {
    std::vector<int> done;
    auto [a, b, c, d] =
        co_await weft::gather_settled(delayed(1, 20ms, done), fail_after(1, "boom"), value(3),
                                      []() -> weft::task<void> { co_await weft::yield(); }());
    EXPECT_TRUE(a.has_value());
    EXPECT_EQ(a.value(), 1) << "a failure does not cancel the others";
    EXPECT_TRUE(b.has_exception());
    EXPECT_FALSE(b.cancelled());
    EXPECT_THROW((void)b.value(), std::runtime_error);
    EXPECT_NE(b.exception(), nullptr);
    EXPECT_TRUE(c.has_value());
    EXPECT_EQ(c.value(), 3);
    EXPECT_TRUE(d.has_value());
    static_assert(std::is_same_v<std::remove_cvref_t<decltype(d.value())>, std::monostate>);
}

WEFT_CO_TEST(gather_settled, reports_a_cancelled_child_as_cancelled) {
    weft::promise<int> p;
    weft::future<int> f = p.get_future();
    f.cancel();
    std::vector<weft::future<int>> fs{f};
    auto results = co_await weft::gather_settled(fs);
    WEFT_CO_ASSERT_EQ(results.size(), 1u);
    EXPECT_TRUE(results[0].has_exception());
    EXPECT_TRUE(results[0].cancelled());
}

WEFT_CO_TEST(gather_settled, range_form_keeps_order) {
    std::vector<weft::task<int>> tasks;
    tasks.push_back(value(0));
    tasks.push_back(fail_after(2, "one"));
    tasks.push_back(value(2));
    std::vector<weft::outcome<int>> r = co_await weft::gather_settled(tasks);
    WEFT_CO_ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].value(), 0);
    EXPECT_TRUE(r[1].has_exception());
    EXPECT_EQ(r[2].value(), 2);
}

WEFT_CO_TEST(gather_settled, cancelling_it_cancels_every_child) {
    sibling_log logs[2];
    auto g = weft::create_task(
        weft::gather_settled(cancellable_sibling(logs[0]), cancellable_sibling(logs[1])));
    bool started =
        co_await weft::testing::yield_until([&] { return logs[0].started && logs[1].started; });
    WEFT_CO_ASSERT_TRUE(started);
    g.cancel();
    EXPECT_THROW((void)co_await g, weft::cancelled_error);
    EXPECT_TRUE(logs[0].cleanup_finished);
    EXPECT_TRUE(logs[1].cleanup_finished);
}

WEFT_CO_TEST_LOOPS(gather, futures_from_several_loops_keep_order, 3) {
    std::vector<weft::future<int>> fs;
    for (int i = 0; i < 30; ++i) {
        fs.push_back(weft::spawn_on(static_cast<std::size_t>(i % 3), value(i)));
    }
    std::vector<int> r = co_await weft::gather(fs);
    WEFT_CO_ASSERT_EQ(r.size(), 30u);
    for (int i = 0; i < 30; ++i) {
        EXPECT_EQ(r[i], i);
    }
}
