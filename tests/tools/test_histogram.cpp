// The log-linear histogram against known distributions.

#include "histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

using weft::stress::histogram;

namespace {

/// The exact q-th percentile of sorted samples, by the same rank rule (ceil(q/100 * n)).
std::uint64_t exact(const std::vector<std::uint64_t>& sorted, double q) {
    const auto rank = std::max<std::size_t>(
        1, static_cast<std::size_t>(std::ceil(q / 100.0 * static_cast<double>(sorted.size()))));
    return sorted[rank - 1];
}

void expect_close(std::uint64_t got, std::uint64_t want, const char* what) {
    // A bucket spans at most 1/128 of its values: the reported value is within 0.8% above.
    EXPECT_GE(got, want) << what;
    EXPECT_LE(static_cast<double>(got), static_cast<double>(want) * (1 + 1.0 / 128) + 1) << what;
}

} // namespace

TEST(stress_histogram, buckets_tile_the_range_without_gaps) {
    for (std::size_t i = 0; i + 1 < histogram::bucket_count; ++i) {
        ASSERT_EQ(histogram::highest_in(i) + 1, histogram::lowest_in(i + 1)) << i;
    }
    EXPECT_EQ(histogram::highest_in(histogram::bucket_count - 1), ~std::uint64_t{0});
    const std::uint64_t samples[] = {0, 1, 255, 256, 257, 1000, 123456789, ~std::uint64_t{0}};
    for (std::uint64_t v : samples) {
        const std::size_t i = histogram::index_of(v);
        EXPECT_LE(histogram::lowest_in(i), v);
        EXPECT_GE(histogram::highest_in(i), v);
    }
}

TEST(stress_histogram, exact_below_256_and_empty_is_zero) {
    auto h = std::make_unique<histogram>();
    EXPECT_EQ(h->percentile(50), 0u);
    EXPECT_EQ(h->count(), 0u);
    for (std::uint64_t v = 1; v <= 100; ++v) {
        h->record(v);
    }
    EXPECT_EQ(h->percentile(50), 50u);
    EXPECT_EQ(h->percentile(99), 99u);
    EXPECT_EQ(h->percentile(100), 100u);
    EXPECT_EQ(h->percentile(0), 1u);
    EXPECT_EQ(h->min(), 1u);
    EXPECT_EQ(h->max(), 100u);
    EXPECT_DOUBLE_EQ(h->mean(), 50.5);
}

TEST(stress_histogram, uniform_distribution_percentiles) {
    auto h = std::make_unique<histogram>();
    std::vector<std::uint64_t> v;
    std::mt19937_64 rng(1);
    std::uniform_int_distribution<std::uint64_t> d(1'000, 10'000'000);
    for (int i = 0; i < 200'000; ++i) {
        v.push_back(d(rng));
        h->record(v.back());
    }
    std::sort(v.begin(), v.end());
    for (double q : {50.0, 90.0, 99.0, 99.9}) {
        expect_close(h->percentile(q), exact(v, q), "uniform");
    }
    EXPECT_EQ(h->max(), v.back());
    EXPECT_EQ(h->percentile(100), v.back());
}

TEST(stress_histogram, exponential_tail_percentiles) {
    auto h = std::make_unique<histogram>();
    std::vector<std::uint64_t> v;
    std::mt19937_64 rng(7);
    std::exponential_distribution<double> d(1.0 / 50'000); // mean 50 us, in ns
    for (int i = 0; i < 200'000; ++i) {
        v.push_back(static_cast<std::uint64_t>(d(rng)));
        h->record(v.back());
    }
    std::sort(v.begin(), v.end());
    for (double q : {50.0, 90.0, 99.0, 99.9}) {
        expect_close(h->percentile(q), exact(v, q), "exponential");
    }
    // The mean is exact, not bucketed.
    long double sum = 0;
    for (auto x : v) {
        sum += static_cast<long double>(x);
    }
    EXPECT_NEAR(h->mean(), static_cast<double>(sum / v.size()), 1e-6 * h->mean());
}

TEST(stress_histogram, bimodal_and_merge) {
    auto a = std::make_unique<histogram>();
    auto b = std::make_unique<histogram>();
    // 90% at 10 us, 10% at 5 ms: p50 and p90 sit in the fast mode, p99 in the slow one.
    for (int i = 0; i < 9000; ++i) {
        a->record(10'000);
    }
    for (int i = 0; i < 1000; ++i) {
        b->record(5'000'000);
    }
    a->merge(*b);
    EXPECT_EQ(a->count(), 10'000u);
    expect_close(a->percentile(50), 10'000, "p50");
    expect_close(a->percentile(90), 10'000, "p90");
    expect_close(a->percentile(99), 5'000'000, "p99");
    EXPECT_EQ(a->max(), 5'000'000u);
    EXPECT_EQ(a->min(), 10'000u);
    a->reset();
    EXPECT_EQ(a->count(), 0u);
    EXPECT_EQ(a->max(), 0u);
}
