#pragma once

// A log-linear latency histogram in the manner of HdrHistogram: exact below 256 ns, then 128
// sub-buckets per power of two, so that any recorded value is known within 1/128 (0.8%) of
// itself, from 1 ns to 2^64 ns, in a fixed 58 KiB whatever the number of samples.

#include <array>
#include <cstddef>
#include <cstdint>

namespace weft::stress {

/// Counts of values (nanoseconds) in log-linear buckets; percentiles within 0.8%.
class histogram {
public:
    /// Sub-buckets per power of two: 2^sub_bits.
    static constexpr unsigned sub_bits = 7;
    static constexpr std::size_t sub_count = std::size_t{1} << sub_bits;
    static constexpr std::size_t bucket_count = sub_count * (64 - sub_bits) + sub_count;

    /// Adds one value.
    void record(std::uint64_t v) noexcept;
    /// Adds every value of another histogram.
    void merge(const histogram& other) noexcept;
    /// Forgets every value.
    void reset() noexcept;

    /// Values recorded.
    [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
    /// Smallest and largest values recorded, exactly (0 when empty).
    [[nodiscard]] std::uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
    [[nodiscard]] std::uint64_t max() const noexcept { return max_; }
    /// Mean of the recorded values, exactly (0 when empty).
    [[nodiscard]] double mean() const noexcept;
    /// The value below or at which q percent of the values lie (q in [0, 100]): the highest value
    /// equivalent to the bucket holding that rank, clamped to [min, max]; 0 when empty.
    [[nodiscard]] std::uint64_t percentile(double q) const noexcept;

    /// Bucket of a value, and the range of values a bucket holds (for tests).
    [[nodiscard]] static std::size_t index_of(std::uint64_t v) noexcept;
    [[nodiscard]] static std::uint64_t lowest_in(std::size_t index) noexcept;
    [[nodiscard]] static std::uint64_t highest_in(std::size_t index) noexcept;

private:
    std::array<std::uint64_t, bucket_count> counts_{};
    std::uint64_t count_ = 0;
    std::uint64_t min_ = ~std::uint64_t{0};
    std::uint64_t max_ = 0;
    long double sum_ = 0;
};

} // namespace weft::stress
