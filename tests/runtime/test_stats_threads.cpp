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
    std::atomic<std::uint64_t> passes{0};
    std::atomic<std::uint64_t> max_steps{0};
    // The reader reads both loops' counters until told to stop, then once more: whenever the
    // machine lets it run, its last pass comes after the work below, so it sees those steps.
    std::thread reader([&] {
        bool last = false;
        do {
            last = stop.load();
            for (weft::loop* l : loops) {
                const weft::loop_stats s = l->stats();
                if (s.steps_run > max_steps.load()) {
                    max_steps.store(s.steps_run);
                }
            }
            passes.fetch_add(1);
        } while (!last);
    });
    // The work starts once the reader runs, so that reads and steps overlap (what TSan checks)
    // however late the machine schedules the reader.
    while (passes.load() == 0) {
        co_await weft::sleep(std::chrono::milliseconds(1));
    }
    std::vector<weft::future<void>> work;
    for (int i = 0; i < 200; ++i) {
        work.push_back(weft::spawn_on(static_cast<std::size_t>(i % 2), busy(20)));
    }
    co_await weft::gather(std::move(work));
    stop.store(true);
    reader.join();
    // Each loop ran 100 tasks of 21 steps; a loop counts a batch of steps when the batch ends,
    // so only the batch running now may be missing from what the reader saw.
    EXPECT_GE(max_steps.load(), 200u);
}
