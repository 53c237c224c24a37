// --recommend on synthetic sweeps.

#include "recommend.hpp"

#include <gtest/gtest.h>

using namespace weft::stress;

namespace {

cell_result cell(const char* target, std::size_t pool, std::size_t conc, double tput) {
    cell_result c;
    c.target = target;
    c.workload = "sleep:1000";
    c.pool_size = pool;
    c.concurrency = conc;
    c.throughput = tput;
    c.submitted = c.completed = 100;
    return c;
}

} // namespace

TEST(stress_recommend, picks_the_smallest_pool_then_concurrency_within_95_percent) {
    // Blocking 1 ms calls: throughput grows with the pool until the offered concurrency caps it.
    const std::vector<cell_result> sweep{
        cell("threads:4", 4, 1, 990),      cell("threads:4", 4, 8, 3900),
        cell("threads:4", 4, 64, 3950),    cell("threads:16", 16, 1, 990),
        cell("threads:16", 16, 8, 7800),   cell("threads:16", 16, 64, 15000),
        cell("threads:32", 32, 8, 7900),   cell("threads:32", 32, 64, 15500),
        cell("threads:64", 64, 64, 15700),
    };
    const auto r = recommend(sweep);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->target, "threads:16"); // 15000 >= 0.95 * 15700; threads:4 tops out at 25%
    EXPECT_EQ(r->pool_size, 16u);
    EXPECT_EQ(r->concurrency, 64u);
    EXPECT_EQ(r->best_target, "threads:64");
    EXPECT_DOUBLE_EQ(r->best_throughput, 15700);
    EXPECT_NE(r->reason.find("96% of the best"), std::string::npos) << r->reason;
    EXPECT_NE(r->reason.find("smaller pools reach at most 25%"), std::string::npos) << r->reason;
    EXPECT_NE(r->reason.find("lower concurrency on this pool at most 50%"), std::string::npos)
        << r->reason;
}

TEST(stress_recommend, lowest_concurrency_on_a_single_pool) {
    const std::vector<cell_result> sweep{cell("tbb:2", 2, 1, 10'000), cell("tbb:2", 2, 8, 19'500),
                                         cell("tbb:2", 2, 64, 20'000),
                                         cell("tbb:2", 2, 512, 19'000)};
    const auto r = recommend(sweep);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->concurrency, 8u);
    EXPECT_NE(r->reason.find("no smaller pool was measured"), std::string::npos) << r->reason;
}

TEST(stress_recommend, skips_cells_that_failed_and_scenarios) {
    std::vector<cell_result> sweep{cell("threads:2", 2, 8, 5000), cell("threads:8", 8, 8, 9000),
                                   cell("threads:1", 1, 8, 100'000)};
    sweep[2].lost = 1; // fastest, but it lost a call: not a candidate
    cell_result scen = cell("runtime", 1, 8, 1e9);
    scen.scenario = true;
    sweep.push_back(scen);
    const auto r = recommend(sweep);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->target, "threads:8");
    EXPECT_EQ(r->best_target, "threads:8");

    EXPECT_FALSE(recommend({scen}).has_value());
    EXPECT_FALSE(recommend({}).has_value());
}

TEST(stress_recommend, leaves_redis_rows_out_and_says_why_when_only_they_ran) {
    // A redis pool's size is its workers': the pick stays among the local pools.
    const std::vector<cell_result> sweep{cell("threads:4", 4, 8, 3900),
                                         cell("redis:unix:///tmp/r.sock,workers=1", 1, 8, 9000)};
    const auto r = recommend(sweep);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->target, "threads:4");
    EXPECT_EQ(r->best_target, "threads:4");

    const std::vector<cell_result> only_redis{cell("redis:redis://h:6379", 1024, 8, 9000)};
    EXPECT_FALSE(recommend(only_redis).has_value());
    EXPECT_NE(no_advice_reason(only_redis, 0).find("local pools only"), std::string::npos);
}

TEST(stress_recommend, a_p99_bound_leaves_slow_cells_out) {
    std::vector<cell_result> sweep{cell("threads:4", 4, 8, 3900), cell("threads:4", 4, 64, 4000),
                                   cell("threads:16", 16, 64, 15000)};
    sweep[0].p99_us = 2000;
    sweep[1].p99_us = 16000;
    sweep[2].p99_us = 9000;
    const auto r = recommend(sweep, 5000); // 5 ms: only threads:4 at 8 stays
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->target, "threads:4");
    EXPECT_EQ(r->concurrency, 8u);
    EXPECT_DOUBLE_EQ(r->p99_us, 2000);
    EXPECT_NE(r->reason.find("2 cell(s) with p99 over 5.00ms were left out"), std::string::npos)
        << r->reason;
    EXPECT_EQ(recommend(sweep)->target, "threads:16"); // no bound: the fastest pool wins

    EXPECT_FALSE(recommend(sweep, 1000).has_value());
    EXPECT_EQ(no_advice_reason(sweep, 1000),
              "no executor cell kept p99 within 1.00ms: try a larger pool, a lower "
              "concurrency, or a looser --p99-max");
}

TEST(stress_recommend, a_pick_at_the_edge_of_the_sweep_says_the_best_may_lie_beyond) {
    // Throughput still rising at the largest concurrency and the largest pool tried.
    const std::vector<cell_result> sweep{cell("tbb:4", 4, 16, 1000), cell("tbb:4", 4, 64, 3000),
                                         cell("tbb:8", 8, 16, 2000), cell("tbb:8", 8, 64, 6000)};
    const auto r = recommend(sweep);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->target, "tbb:8");
    EXPECT_EQ(r->beyond, "it is at the largest concurrency tried and the largest tbb pool tried: "
                         "the best may lie beyond; try -c 128,256 -e tbb:16,tbb:32");
    EXPECT_EQ(r->code, "weft::tbb_pool pool({.max_workers = 8});\nweft::semaphore in_flight(64); "
                       "// co_await in_flight.acquire() before each call, release() after");

    // Inside the sweep: no hint.
    const std::vector<cell_result> inside{
        cell("threads:4", 4, 8, 1000), cell("threads:4", 4, 64, 990), cell("threads:8", 8, 8, 1000),
        cell("threads:8", 8, 64, 1000)};
    EXPECT_EQ(recommend(inside)->beyond, "");
}

TEST(stress_recommend, code_names_each_executors_options) {
    EXPECT_TRUE(code_for("tbb", 32, 1).starts_with("weft::tbb_pool pool({.max_workers = 32});"));
    EXPECT_TRUE(code_for("threads:8", 8, 1).starts_with("weft::thread_pool pool({.threads = 8});"));
    EXPECT_TRUE(
        code_for("process:4", 4, 1).starts_with("weft::process_pool pool({.workers = 4});"));
    EXPECT_TRUE(code_for("inline", 1, 1).starts_with("weft::inline_executor pool;"));
    EXPECT_NE(code_for("inline", 1, 16).find("weft::semaphore in_flight(16);"), std::string::npos);
}
