// --repeat: the median run, the spread, failures summed over runs, and the warnings; and the
// run facts (command line, time) the reports carry.

#include "repeat.hpp"
#include "report_meta.hpp"

#include <gtest/gtest.h>

using namespace weft::stress;

namespace {

cell_result run(double throughput, double wall_s = 1) {
    cell_result c;
    c.target = "threads:4";
    c.workload = "cpu:50";
    c.pool_size = 4;
    c.concurrency = 8;
    c.throughput = throughput;
    c.wall_s = wall_s;
    c.p50_us = 1e6 / throughput; // tells the runs apart
    return c;
}

} // namespace

TEST(stress_repeat, the_median_run_is_reported_with_the_spread) {
    const cell_result r = combine_runs({run(1100), run(900), run(1000)});
    EXPECT_EQ(r.runs, 3u);
    EXPECT_DOUBLE_EQ(r.throughput, 1000);
    EXPECT_DOUBLE_EQ(r.p50_us, 1000); // the median run's latencies, not a mix
    EXPECT_EQ(r.run_throughputs, (std::vector<double>{1100, 900, 1000})); // in run order
    EXPECT_DOUBLE_EQ(r.spread, 0.2);                                      // (1100 - 900) / 1000
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_EQ(r.warnings[0], "spread 20% (over 10%)");
}

TEST(stress_repeat, an_even_count_takes_the_lower_middle_run) {
    const cell_result r = combine_runs({run(400), run(100), run(300), run(200)});
    EXPECT_DOUBLE_EQ(r.throughput, 200);
}

TEST(stress_repeat, one_run_has_no_spread) {
    const cell_result r = combine_runs({run(1000)});
    EXPECT_EQ(r.runs, 1u);
    EXPECT_DOUBLE_EQ(r.spread, 0);
    EXPECT_TRUE(r.warnings.empty());
}

TEST(stress_repeat, failures_of_every_run_add_up) {
    std::vector<cell_result> runs{run(1000), run(1001), run(999)};
    runs[0].lost = 1;
    runs[2].doubled = 2;
    runs[2].errors = 3;
    runs[1].crashes = 4;
    const cell_result r = combine_runs(runs);
    EXPECT_EQ(r.lost, 1u);
    EXPECT_EQ(r.doubled, 2u);
    EXPECT_EQ(r.errors, 3u);
    EXPECT_EQ(r.crashes, 4u);
    EXPECT_FALSE(r.exactly_once());
}

TEST(stress_repeat, short_measurements_are_flagged) {
    const cell_result r = combine_runs({run(1000, 0.05)});
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_EQ(r.warnings[0], "measured 0.05 s (under 0.5 s)");

    std::vector<cell_result> cells{combine_runs({run(1000, 0.05)}), combine_runs({run(1000)}),
                                   combine_runs({run(1000, 0.2), run(1500, 0.2)})};
    const std::vector<std::string> summary = warning_summary(cells);
    ASSERT_EQ(summary.size(), 2u);
    EXPECT_NE(summary[0].find("2 of 3 cells were measured for less than 0.5 s (the shortest "
                              "0.05 s)"),
              std::string::npos)
        << summary[0];
    EXPECT_NE(summary[1].find("1 cell(s) varied by more than 10%"), std::string::npos);
    EXPECT_NE(summary[1].find("threads:4 x8 50%"), std::string::npos) << summary[1];
    EXPECT_TRUE(warning_summary({combine_runs({run(1000)})}).empty());
}

TEST(stress_meta, command_lines_are_shell_quoted) {
    EXPECT_EQ(shell_join({"weft", "stress", "-c", "1,8,64", "--html", "my page.html"}),
              "weft stress -c 1,8,64 --html 'my page.html'");
    EXPECT_EQ(shell_join({"-w", "mixed:9*cpu:50+1*sleep:1000", "it's", ""}),
              "-w 'mixed:9*cpu:50+1*sleep:1000' 'it'\\''s' ''");
}

TEST(stress_meta, time_is_utc_iso_8601_and_facts_are_filled) {
    EXPECT_EQ(utc_iso8601(0), "1970-01-01T00:00:00Z");
    EXPECT_EQ(utc_iso8601(1'796'000'000), "2026-11-30T00:53:20Z");
    const run_meta m = current_meta();
    EXPECT_FALSE(m.command_line.empty());
    EXPECT_TRUE(m.command_line.starts_with("weft-tools-tests")) << m.command_line; // no path
    EXPECT_EQ(m.timestamp.size(), 20u);
    EXPECT_FALSE(m.host.empty());
}
