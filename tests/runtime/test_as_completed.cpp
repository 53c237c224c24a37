// as_completed: completion order (driven by events, not by timing), exceptions, the overall
// timeout, cancellation while waiting, and misuse.

#include <weft/runtime/as_completed.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/event.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/wait_for.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

weft::task<int> when_set(weft::event& e, int v) {
    co_await e.wait();
    co_return v;
}

weft::task<void> settle() {
    for (int i = 0; i < 5; ++i) {
        co_await weft::yield();
    }
}

} // namespace

WEFT_CO_TEST(as_completed, hands_out_values_in_completion_order) {
    std::array<weft::event, 4> go;
    std::vector<weft::future<int>> fs;
    for (int i = 0; i < 4; ++i) {
        fs.push_back(weft::create_task(when_set(go[static_cast<std::size_t>(i)], i * 10)));
    }
    auto seq = weft::as_completed(fs);
    EXPECT_EQ(seq.size(), 4u);
    const std::array<std::size_t, 4> order = {2, 0, 3, 1};
    for (std::size_t k = 0; k < order.size(); ++k) {
        // Let the consumer wait first for half of them, so both the ready and the suspended path
        // are taken.
        if (k % 2 == 0) {
            go[order[k]].set();
        } else {
            auto setter = [](weft::event& e) -> weft::task<void> {
                co_await weft::yield();
                e.set();
            };
            (void)weft::create_task(setter(go[order[k]]));
        }
        int v = co_await seq.next();
        EXPECT_EQ(v, static_cast<int>(order[k]) * 10) << "step " << k;
        EXPECT_EQ(seq.remaining(), order.size() - k - 1);
    }
}

WEFT_CO_TEST(as_completed, range_for_with_next_future_tells_which_one) {
    std::array<weft::promise<int>, 3> p;
    std::vector<weft::future<int>> fs;
    for (auto& x : p) {
        fs.push_back(x.get_future());
    }
    p[1].set_value(1);
    p[2].set_exception(std::make_exception_ptr(std::runtime_error("two")));
    p[0].set_value(0);
    std::vector<const void*> seen;
    for (auto& next : weft::as_completed(fs)) {
        weft::future<int> f = co_await next.future();
        EXPECT_TRUE(f.done());
        seen.push_back(&f.state());
    }
    // Already done at the call: handed out in argument order, as asyncio does.
    const std::vector<const void*> want = {&fs[0].state(), &fs[1].state(), &fs[2].state()};
    EXPECT_EQ(seen, want);
}

WEFT_CO_TEST(as_completed, range_for_awaits_values_and_rethrows_exceptions) {
    std::array<weft::promise<int>, 3> p;
    std::vector<weft::future<int>> fs;
    for (auto& x : p) {
        fs.push_back(x.get_future());
    }
    auto driver = [](std::array<weft::promise<int>, 3>& p) -> weft::task<void> {
        co_await weft::yield();
        p[2].set_value(2);
        co_await weft::yield();
        p[0].set_exception(std::make_exception_ptr(std::runtime_error("zero")));
        co_await weft::yield();
        p[1].set_value(1);
    };
    auto d = weft::create_task(driver(p));
    std::vector<int> got;
    int failures = 0;
    for (auto& next : weft::as_completed(fs)) {
        try {
            int v = co_await next;
            got.push_back(v);
        } catch (const std::runtime_error& e) {
            EXPECT_STREQ(e.what(), "zero");
            ++failures;
        }
    }
    co_await d;
    EXPECT_EQ(got, (std::vector<int>{2, 1}));
    EXPECT_EQ(failures, 1);
}

WEFT_CO_TEST(as_completed, timeout_throws_for_every_remaining_await_and_cancels_nothing) {
    std::array<weft::promise<int>, 3> p;
    std::vector<weft::future<int>> fs;
    for (auto& x : p) {
        fs.push_back(x.get_future());
    }
    p[1].set_value(1);
    const auto t0 = weft::clock::now();
    auto seq = weft::as_completed(fs, 5ms);
    int first = co_await seq.next();
    EXPECT_EQ(first, 1);
    try {
        (void)co_await seq.next();
        ADD_FAILURE() << "expected timeout_error";
    } catch (const weft::timeout_error& e) {
        EXPECT_GE(weft::clock::now() - t0, 5ms);
        EXPECT_NE(std::string(e.what()).find("2 of 3"), std::string::npos) << e.what();
    }
    // A completion after the deadline is not handed out: every remaining await times out.
    p[0].set_value(0);
    EXPECT_THROW((void)co_await seq.next(), weft::timeout_error);
    EXPECT_FALSE(fs[2].done()) << "the timeout cancels nothing";
    p[2].set_value(2);
    int v = co_await fs[2];
    EXPECT_EQ(v, 2);
}

WEFT_CO_TEST(as_completed, completions_before_the_deadline_are_still_handed_out) {
    std::array<weft::promise<int>, 3> p;
    std::vector<weft::future<int>> fs;
    for (auto& x : p) {
        fs.push_back(x.get_future());
    }
    auto seq = weft::as_completed(fs, 2ms);
    p[2].set_value(2);
    p[0].set_value(0);
    co_await weft::sleep(5ms); // time is the behaviour under test: the deadline passes
    int a = co_await seq.next();
    int b = co_await seq.next();
    EXPECT_EQ(a, 2);
    EXPECT_EQ(b, 0);
    EXPECT_THROW((void)co_await seq.next(), weft::timeout_error);
    p[1].set_value(1);
}

WEFT_CO_TEST(as_completed, cancelling_the_consumer_while_it_waits_detaches_cleanly) {
    weft::promise<int> p;
    std::vector<weft::future<int>> fs{p.get_future()};
    bool waiting = false;
    auto consumer = [](std::vector<weft::future<int>>& fs, bool& waiting) -> weft::task<int> {
        auto seq = weft::as_completed(fs, 1h);
        waiting = true;
        int v = co_await seq.next();
        co_return v;
    };
    auto c = weft::create_task(consumer(fs, waiting));
    bool ok = co_await weft::testing::yield_until([&] { return waiting; });
    WEFT_CO_ASSERT_TRUE(ok);
    co_await settle();
    EXPECT_TRUE(c.cancel());
    EXPECT_THROW((void)co_await c, weft::cancelled_error);
    EXPECT_FALSE(fs[0].done()) << "the future itself is not cancelled";
    // The consumer's frame and its sequence are gone; the completion reaches only the shared queue.
    p.set_value(7);
    co_await settle();
    int v = co_await fs[0];
    EXPECT_EQ(v, 7);
}

WEFT_CO_TEST(as_completed, awaiting_more_than_size_is_an_error) {
    weft::promise<int> p;
    std::vector<weft::future<int>> fs{p.get_future()};
    p.set_value(1);
    auto seq = weft::as_completed(fs);
    int v = co_await seq.next();
    EXPECT_EQ(v, 1);
    EXPECT_THROW((void)co_await seq.next(), weft::invalid_state_error);
}

WEFT_CO_TEST(as_completed, a_second_concurrent_next_is_an_error) {
    weft::promise<int> p;
    std::vector<weft::future<int>> fs{p.get_future()};
    auto seq = weft::as_completed(fs);
    bool waiting = false;
    auto first = [](weft::as_completed_sequence<int>& s, bool& w) -> weft::task<int> {
        w = true;
        int v = co_await s.next();
        co_return v;
    };
    auto f = weft::create_task(first(seq, waiting));
    co_await settle();
    WEFT_CO_ASSERT_TRUE(waiting);
    EXPECT_THROW((void)co_await seq.next(), weft::invalid_state_error);
    p.set_value(3);
    int v = co_await f;
    EXPECT_EQ(v, 3);
}

WEFT_CO_TEST(as_completed, empty_range_is_an_empty_sequence) {
    std::vector<weft::future<int>> none;
    auto seq = weft::as_completed(none);
    EXPECT_EQ(seq.size(), 0u);
    int steps = 0;
    for (auto& next : seq) {
        (void)next;
        ++steps;
    }
    EXPECT_EQ(steps, 0);
    co_return;
}

WEFT_CO_TEST(as_completed, move_only_and_void_results) {
    weft::promise<std::unique_ptr<int>> p;
    std::vector<weft::future<std::unique_ptr<int>>> fs{p.get_future()};
    p.set_value(std::make_unique<int>(5));
    auto seq = weft::as_completed(fs);
    std::unique_ptr<int> u = co_await seq.next();
    WEFT_CO_ASSERT_TRUE(u != nullptr);
    EXPECT_EQ(*u, 5);

    weft::promise<void> q;
    std::vector<weft::future<void>> vs{q.get_future()};
    auto vseq = weft::as_completed(vs);
    auto setter = [](weft::promise<void>& q) -> weft::task<void> {
        co_await weft::yield();
        q.set_value();
    };
    auto s = weft::create_task(setter(q));
    co_await vseq.next();
    EXPECT_EQ(vseq.remaining(), 0u);
    co_await s;
}

WEFT_CO_TEST(as_completed, cancellation_pending_before_next_throws_without_waiting) {
    weft::promise<int> p;
    std::vector<weft::future<int>> fs{p.get_future()};
    bool shielded_done = false;
    bool reached = false;
    auto consumer = [](std::vector<weft::future<int>>& fs, bool& shielded_done,
                       bool& reached) -> weft::task<int> {
        auto seq = weft::as_completed(fs, 1h);
        // A cancel that arrives inside shield stays pending for the next suspension point.
        co_await weft::shield([](bool& d) -> weft::task<void> {
            for (int i = 0; i < 5; ++i) {
                co_await weft::yield();
            }
            d = true;
        }(shielded_done));
        reached = true;
        int v = co_await seq.next();
        co_return v;
    };
    auto c = weft::create_task(consumer(fs, shielded_done, reached));
    co_await weft::yield();
    c.cancel();
    EXPECT_THROW((void)co_await c, weft::cancelled_error);
    EXPECT_TRUE(shielded_done);
    EXPECT_TRUE(reached) << "the pending cancel surfaced at next(), not before";
    p.set_value(1);
}

WEFT_CO_TEST(as_completed, braced_list_of_futures) {
    weft::promise<int> a;
    weft::promise<int> b;
    weft::future<int> fa = a.get_future();
    weft::future<int> fb = b.get_future();
    b.set_value(2);
    a.set_value(1);
    std::vector<int> got;
    for (auto& next : weft::as_completed({fa, fb})) {
        int v = co_await next;
        got.push_back(v);
    }
    EXPECT_EQ(got, (std::vector<int>{1, 2})) << "done at the call: argument order";
}
