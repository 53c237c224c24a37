#pragma once

// The CPU time the HTTP client benchmarks report per request (the Asio client keeps its own
// copy: it stays a single file).

#include <sys/resource.h>

namespace weft_bench {

/// CPU time (user + system) this process has used so far, in seconds.
inline double cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

} // namespace weft_bench
