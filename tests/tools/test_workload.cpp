// Every workload at a tiny size, run directly on the test's thread.

#include "workload.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <map>

using namespace weft::stress;

namespace {

double thread_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

} // namespace

TEST(stress_workload, cpu_burns_at_least_its_cpu_time) {
    const double before = thread_cpu_s();
    (void)run_workload(parse_workload("cpu:2000"), 1);
    EXPECT_GE(thread_cpu_s() - before, 0.002);
}

TEST(stress_workload, sleep_blocks_at_least_its_time) {
    const auto start = std::chrono::steady_clock::now();
    (void)run_workload(parse_workload("sleep:2000"), 1);
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::microseconds(2000));
}

TEST(stress_workload, io_and_alloc_move_their_bytes) {
    // Sizes past the pipe's capacity and odd sizes: chunks must be written and read back whole.
    for (const char* spec :
         {"io:0", "io:1", "io:100000", "io:1m", "alloc:0", "alloc:1", "alloc:100000", "alloc:1m"}) {
        EXPECT_NO_THROW((void)run_workload(parse_workload(spec), 3)) << spec;
    }
    // Same input, same checksum.
    EXPECT_EQ(run_workload(parse_workload("io:5000"), 9),
              run_workload(parse_workload("io:5000"), 9));
}

TEST(stress_workload, crash_outside_a_process_pool_is_an_error_not_a_crash) {
    EXPECT_THROW((void)run_workload(parse_workload("crash:1"), 1), workload_error);
}

TEST(stress_workload, mixed_picks_parts_by_weight_and_id) {
    const auto mix = parse_workload("mixed:3*sleep:0+1*cpu:1");
    std::map<workload_kind, int> seen;
    for (std::uint64_t id = 0; id < 40'000; ++id) {
        ++seen[pick_part(mix, id).kind];
    }
    EXPECT_NEAR(seen[workload_kind::sleep] / 40'000.0, 0.75, 0.02);
    EXPECT_NEAR(seen[workload_kind::cpu] / 40'000.0, 0.25, 0.02);
    // Deterministic: the same id always runs the same part.
    EXPECT_EQ(&pick_part(mix, 12345), &pick_part(mix, 12345));
    for (std::uint64_t id = 0; id < 50; ++id) {
        EXPECT_NO_THROW((void)run_workload(mix, id));
    }
}
