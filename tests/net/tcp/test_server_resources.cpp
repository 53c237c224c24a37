// A server out of file descriptors: the failed accept is counted, the acceptor backs off instead
// of spinning on the readable listening socket, and the waiting connection is served once
// descriptors are free again. Runs in a child process, whose descriptor limit it lowers.

#include "tcp_test.hpp"

#include <weft/net/connection.hpp>
#include <weft/net/server.hpp>
#include <weft/runtime/run.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/wait_for.hpp>
#include <weft/testing/child_process.hpp>

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using weft::net::connection;
using weft::net::testing::echo_handler;

namespace {

weft::task<void> accept_without_descriptors(weft::testing::child_checks& check) {
    weft::net::server srv = co_await weft::net::start_server(echo_handler, "127.0.0.1", 0);
    // Every descriptor below a lowered limit taken but one, which the client's socket takes:
    // the server's accept then fails with EMFILE.
    rlimit old{};
    ::getrlimit(RLIMIT_NOFILE, &old);
    rlimit low = old;
    low.rlim_cur = 256;
    check(::setrlimit(RLIMIT_NOFILE, &low) == 0, "the descriptor limit can be lowered");
    std::vector<int> fillers;
    for (int fd = ::dup(0); fd >= 0; fd = ::dup(0)) {
        fillers.push_back(fd);
    }
    check(!fillers.empty(), "descriptors were taken up to the limit");
    ::close(fillers.back());
    fillers.pop_back();
    connection c = co_await connection::connect("127.0.0.1", srv.port()); // the kernel accepts
    const std::string msg = "out of descriptors";
    co_await c.write_all(std::span<const char>(msg));
    for (int i = 0; i < 500 && srv.stats().refused == 0; ++i) {
        co_await weft::sleep(10ms); // polls for the server's failed accept, bounded
    }
    const std::size_t refused = srv.stats().refused;
    check(refused >= 1, "the failed accept is counted in stats().refused");
    check(srv.stats().accepted == 0, "nothing was accepted while no descriptor was free");
    // One failed accept per back-off period, not a spin on the readable listening socket.
    co_await weft::sleep(150ms);
    check(srv.stats().refused <= refused + 3, "the acceptor backs off between attempts");
    for (const int fd : fillers) {
        ::close(fd);
    }
    ::setrlimit(RLIMIT_NOFILE, &old);
    char buf[64];
    std::string back;
    while (back.size() < msg.size()) {
        const std::size_t n = co_await weft::wait_for(c.read_some(buf), 5s);
        if (n == 0) {
            break;
        }
        back.append(buf, n);
    }
    check(back == msg, "the waiting connection is served once descriptors are free");
    check(srv.stats().accepted == 1, "the connection was accepted after the back-off");
    c.close();
    srv.close();
    co_await srv.wait_closed();
}

void run_accept_without_descriptors(weft::testing::child_checks& check) {
    weft::options opts;
    opts.loops = 1;
    weft::run(accept_without_descriptors(check), opts);
}

} // namespace

TEST(server_resources, an_accept_without_descriptors_is_counted_backed_off_and_retried) {
    // A fresh process (re-executed, not forked): the lowered limit stays there. With no
    // descriptor free, UndefinedBehaviorSanitizer's vptr check cannot probe memory (it uses a
    // pipe) and can report a valid object as invalid: the child runs with that check suppressed.
    const std::string supp = "/tmp/weft-test-ubsan-" + std::to_string(::getpid()) + ".supp";
    if (std::FILE* f = std::fopen(supp.c_str(), "w")) {
        std::fputs("vptr_check:*\n", f);
        std::fclose(f);
    }
    const char* was = std::getenv("UBSAN_OPTIONS");
    const std::string saved = was != nullptr ? was : "";
    ::setenv("UBSAN_OPTIONS", (saved + (saved.empty() ? "" : ":") + "suppressions=" + supp).c_str(),
             1);
    const std::string style = GTEST_FLAG_GET(death_test_style);
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    WEFT_EXPECT_IN_CHILD_PROCESS_WITHIN(run_accept_without_descriptors, 30);
    GTEST_FLAG_SET(death_test_style, style);
    if (was != nullptr) {
        ::setenv("UBSAN_OPTIONS", saved.c_str(), 1);
    } else {
        ::unsetenv("UBSAN_OPTIONS");
    }
    std::remove(supp.c_str());
}
