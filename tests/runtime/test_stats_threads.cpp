// loop_stats read from a plain thread while the loops run: no data race (TSan), sane values.

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/stats.hpp>
#include <weft/testing/co_test.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace {

weft::task<void> busy(int yields) {
    for (int i = 0; i < yields; ++i) {
        co_await weft::yield();
    }
}

weft::task<weft::loop*> this_loop() {
    co_return &weft::current_loop();
}

} // namespace

WEFT_CO_TEST_LOOPS(stats_threads, read_while_loops_run, 2) {
    weft::loop* loops[2] = {&weft::current_loop(), nullptr};
    loops[1] = co_await weft::spawn_on(1, this_loop());
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> max_steps{0};
    std::thread reader([&] {
        while (!stop.load()) {
            for (weft::loop* l : loops) {
                const weft::loop_stats s = l->stats();
                if (s.steps_run > max_steps.load()) {
                    max_steps.store(s.steps_run);
                }
            }
        }
    });
    std::vector<weft::future<void>> work;
    for (int i = 0; i < 200; ++i) {
        work.push_back(weft::spawn_on(static_cast<std::size_t>(i % 2), busy(20)));
    }
    co_await weft::gather(std::move(work));
    stop.store(true);
    reader.join();
    EXPECT_GT(max_steps.load(), 0u);
}
