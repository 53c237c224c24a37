#pragma once

// Helpers of the TCP tests: a test macro that also checks that no file descriptor leaked, and
// small peers.

#include <weft/net/connection.hpp>
#include <weft/net/server.hpp>
#include <weft/testing/co_test.hpp>

#include <gtest/gtest.h>

#include <dirent.h>

#include <cstddef>
#include <string>

namespace weft::net::testing {

/// Open descriptors of this process (entries of /proc/self/fd, minus the one listing them).
inline std::size_t open_fd_count() {
    std::size_t n = 0;
    DIR* d = ::opendir("/proc/self/fd");
    if (d == nullptr) {
        return 0;
    }
    while (const dirent* e = ::readdir(d)) {
        if (e->d_name[0] != '.') {
            ++n;
        }
    }
    ::closedir(d);
    return n - 1;
}

/// Reads from c until EOF; returns everything.
inline task<std::string> read_all(connection& c) {
    std::string out;
    char buf[4096];
    for (;;) {
        const std::size_t n = co_await c.read_some(buf);
        if (n == 0) {
            co_return out;
        }
        out.append(buf, n);
    }
}

/// Echoes everything back until EOF, then closes.
inline task<void> echo_handler(connection c) {
    char buf[4096];
    for (;;) {
        const std::size_t n = co_await c.read_some(buf);
        if (n == 0) {
            co_return;
        }
        co_await c.write_all(std::span<const char>(buf, n));
    }
}

} // namespace weft::net::testing

#define WEFT_TCP_BODY_(suite, name) WEFT_TESTING_CAT_(weft_tcp_test_##suite##_, name)

/// A coroutine test on `loops` loops that also checks that the number of open descriptors is the
/// same after the runtime ended as before it started.
#define WEFT_TCP_TEST_LOOPS(suite, name, loops)                                                    \
    static ::weft::task<void> WEFT_TCP_BODY_(suite, name)();                                       \
    TEST(suite, name) {                                                                            \
        const std::size_t fds_before = ::weft::net::testing::open_fd_count();                      \
        ::weft::testing::detail::run_test_body(WEFT_TCP_BODY_(suite, name)(), (loops));            \
        EXPECT_EQ(::weft::net::testing::open_fd_count(), fds_before) << "descriptors leaked";      \
    }                                                                                              \
    static ::weft::task<void> WEFT_TCP_BODY_(suite, name)()

#define WEFT_TCP_TEST(suite, name) WEFT_TCP_TEST_LOOPS(suite, name, 1)
