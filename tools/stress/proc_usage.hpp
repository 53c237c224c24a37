#pragma once

// CPU accounting read from the kernel, for `weft stress`'s cells and its idle check: the whole
// process's rusage, and one thread's or process's CPU time from its /proc schedstat file.

#include <sys/resource.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace weft::stress {

/// The process's CPU time and context switches so far.
struct usage {
    double user_s = 0, sys_s = 0;
    std::int64_t vcs = 0, ivcs = 0;
};

inline usage process_usage() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto s = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
    };
    return {s(ru.ru_utime), s(ru.ru_stime), ru.ru_nvcsw, ru.ru_nivcsw};
}

/// CPU time a thread or process has used (the first field of its schedstat), in ns; -1 when it is
/// gone.
inline long long cpu_ns_of(const std::string& schedstat) {
    std::ifstream in(schedstat);
    long long ns = -1;
    in >> ns;
    return in ? ns : -1;
}

} // namespace weft::stress
