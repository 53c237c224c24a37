// The log-linear latency histogram of `weft stress` (histogram.hpp): a value's bucket and the
// bucket's bounds, recording and merging, and the mean and percentiles read back from the
// buckets.
#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace weft::stress {

// Values below 2 * sub_count are their own bucket. Above, with e = msb(v) - sub_bits (>= 1),
// v >> e lies in [sub_count, 2 * sub_count) and the bucket is sub_count * e + (v >> e): buckets
// run on without a gap from the exact range.

std::size_t histogram::index_of(std::uint64_t v) noexcept {
    if (v < 2 * sub_count) {
        return static_cast<std::size_t>(v);
    }
    const unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(v));
    const unsigned e = msb - sub_bits;
    return sub_count * e + static_cast<std::size_t>(v >> e);
}

std::uint64_t histogram::lowest_in(std::size_t index) noexcept {
    if (index < 2 * sub_count) {
        return index;
    }
    const std::size_t e = index / sub_count - 1;
    const std::uint64_t m = index - sub_count * e;
    return m << e;
}

std::uint64_t histogram::highest_in(std::size_t index) noexcept {
    if (index < 2 * sub_count) {
        return index;
    }
    const std::size_t e = index / sub_count - 1;
    const std::uint64_t m = index - sub_count * e;
    // The top bucket ends at 2^64 - 1: compute (m + 1) << e - 1 without overflowing.
    return (m << e) + ((std::uint64_t{1} << e) - 1);
}

void histogram::record(std::uint64_t v) noexcept {
    ++counts_[index_of(v)];
    ++count_;
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
    sum_ += static_cast<long double>(v);
}

void histogram::merge(const histogram& other) noexcept {
    for (std::size_t i = 0; i < bucket_count; ++i) {
        counts_[i] += other.counts_[i];
    }
    count_ += other.count_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
    sum_ += other.sum_;
}

void histogram::reset() noexcept {
    *this = histogram{};
}

double histogram::mean() const noexcept {
    return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

std::uint64_t histogram::percentile(double q) const noexcept {
    if (count_ == 0) {
        return 0;
    }
    q = std::clamp(q, 0.0, 100.0);
    const auto rank = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::ceil(q / 100.0 * static_cast<double>(count_))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
        seen += counts_[i];
        if (seen >= rank) {
            return std::clamp(highest_in(i), min(), max_);
        }
    }
    return max_;
}

} // namespace weft::stress
