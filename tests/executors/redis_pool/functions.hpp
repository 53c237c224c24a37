#pragma once

// Functions the redis pool tests run on workers (registered in functions.cpp).

#include <weft/executors/remote.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace rp_test {

struct point {
    int x = 0;
    int y = 0;
    std::string label;
    template <class A>
    void serialize(A& ar) {
        ar(x, y, label);
    }
    bool operator==(const point&) const = default;
};

/// A registered exception type: it crosses as itself.
struct quota_exceeded : std::runtime_error {
    using std::runtime_error::runtime_error;
};

int add(int a, int b);
point mirror(point p);
void nothing();
/// Throws quota_exceeded when registered is true, else std::out_of_range.
int refuse(bool registered);
/// Appends a line to path, then aborts: a call that crashes every worker child it runs in.
int crash_always(std::string path);
/// Writes its process id to path (atomically, by rename), then sleeps ms.
int report_and_nap(std::string path, int ms);
/// Appends a line to path (one per run), then returns i * 2.
int count_and_double(std::string path, int i);
/// Sleeps ms, returns i.
int nap_then(int i, int ms);
/// Sleeps ms, returns (the inode of the network namespace it ran in, i): which "host" ran it.
std::pair<std::uint64_t, int> net_ns_and(int i, int ms);

} // namespace rp_test
