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
