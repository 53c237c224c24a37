// The HTTP server's resource bounds against abusive clients: a request body's buffer grows with
// the bytes that arrive (not with the Content-Length a head claims), the server-wide budget of
// buffered bodies (503 past it, for Content-Length and chunked bodies, before any 100 Continue),
// send_timeout for a client that does not read its response (in-memory or streamed) while a
// slow reader is spared, and fairness: a streamed body to a client whose socket always has room,
// and a flood of pipelined requests, both let the loop's other tasks run. Clients are raw sockets
// on 127.0.0.1; waits poll a condition with a generous deadline.

#include "http_test.hpp"

#include <weft/net/connection.hpp>
#include <weft/net/error.hpp>
#include <weft/net/http/server.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/wait_for.hpp>
#include <weft/testing/co_test.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using weft::http::body_writer;
using weft::http::request;
using weft::http::server;
using weft::http::server_options;
using weft::http::server_response;
using namespace weft::testing::http;

namespace {

constexpr std::size_t KiB = 1024;
constexpr std::size_t MiB = 1024 * KiB;

weft::task<void> send(weft::net::connection& c, std::string_view s) {
    co_await c.write_all(std::span<const char>(s.data(), s.size()));
}

/// Polls cond every 5 ms until it holds or 20 s pass; whether it held.
weft::task<bool> eventually(std::function<bool()> cond) {
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (!cond()) {
        if (std::chrono::steady_clock::now() > until) {
            co_return false;
        }
        co_await weft::sleep(5ms); // the polling pace, not a synchronisation
    }
    co_return true;
}

/// A client socket, non-blocking, with a small receive buffer (set before connecting, so that the
/// TCP window stays small), connected to 127.0.0.1:port.
int small_window_client(std::uint16_t port, int rcvbuf) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
        ::close(fd);
        return -1;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/// Sends all of s on a non-blocking socket with room for it (a request head).
bool send_raw(int fd, std::string_view s) {
    return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
}

/// Reads (and drops) what fd holds until the peer ends the connection (EOF or reset), polling
/// every 5 ms for at most 20 s; whether it ended.
weft::task<bool> ended(int fd) {
    const auto until = std::chrono::steady_clock::now() + 20s;
    char buf[64 * 1024];
    while (std::chrono::steady_clock::now() < until) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
            co_return true;
        }
        if (n < 0) {
            co_await weft::sleep(5ms);
        }
    }
    co_return false;
}

std::string post_head(std::size_t length) {
    return "POST /sum HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(length) +
           "\r\n\r\n";
}

void add_sum_route(server& srv) {
    srv.route("POST", "/sum", [](request& req) -> weft::task<server_response> {
        co_return server_response::text(std::to_string(req.body().size()));
    });
}

/// Records *counter into seen when it runs (a task queued behind the one that created it).
weft::task<void> note(const std::size_t& counter, std::size_t& seen) {
    seen = counter;
    co_return;
}

} // namespace

// Twenty heads each claim an 8 MB body and send one byte: the server holds 64 KiB for each, not
// 8 MB. A body that then arrives makes its buffer grow with it (to the next power of two), and
// everything goes back to the budget once the connections end. Two loops share the budget.
WEFT_CO_TEST_LOOPS(http_server_limits, a_body_buffer_grows_with_the_bytes_received, 2) {
    server srv;
    add_sum_route(srv);
    co_await srv.listen("127.0.0.1", 0);
    constexpr std::size_t clients = 20;
    std::vector<weft::net::connection> conns;
    for (std::size_t i = 0; i < clients; ++i) {
        conns.push_back(co_await weft::net::connection::connect("127.0.0.1", srv.port()));
        co_await send(conns.back(), post_head(8'000'000) + "x");
    }
    auto all_started = [&] { return srv.stats().buffered_bytes >= clients * 64 * KiB; };
    const bool started = co_await eventually(all_started);
    EXPECT_TRUE(started) << srv.stats().buffered_bytes << " bytes buffered";
    EXPECT_EQ(srv.stats().buffered_bytes, clients * 64 * KiB);

    // One body gets 1 MiB more: its buffer grows to 2 MiB, the others stay at 64 KiB.
    const std::string more(MiB, 'y');
    co_await send(conns[0], more);
    const std::size_t others = (clients - 1) * 64 * KiB;
    auto grown = [&] { return srv.stats().buffered_bytes >= others + 2 * MiB; };
    const bool grew = co_await eventually(grown);
    EXPECT_TRUE(grew) << srv.stats().buffered_bytes << " bytes buffered";
    EXPECT_EQ(srv.stats().buffered_bytes, others + 2 * MiB);

    for (weft::net::connection& c : conns) {
        c.close();
    }
    auto released = [&] {
        const auto s = srv.stats();
        return s.connections_open == 0 && s.buffered_bytes == 0;
    };
    const bool all_released = co_await eventually(released);
    EXPECT_TRUE(all_released) << srv.stats().buffered_bytes << " bytes still buffered";
    srv.close();
    co_await srv.wait_closed();
}

// A small body is answered as before, and the budget is back at zero once its connection ends
// (a buffer that small is kept for the connection's next request meanwhile).
WEFT_CO_TEST(http_server_limits, a_small_body_is_served_and_released) {
    server srv;
    add_sum_route(srv);
    co_await srv.listen("127.0.0.1", 0);
    const std::string out =
        co_await exchange(srv.port(), "POST /sum HTTP/1.1\r\nHost: a\r\nContent-Length: "
                                      "5\r\nConnection: close\r\n\r\nhello");
    EXPECT_EQ(first_line(out), "HTTP/1.1 200 OK") << out;
    EXPECT_TRUE(out.ends_with("\r\n\r\n5")) << out;
    auto released = [&] { return srv.stats().connections_open == 0; };
    const bool closed = co_await eventually(released);
    EXPECT_TRUE(closed);
    EXPECT_EQ(srv.stats().buffered_bytes, 0u);
    srv.close();
    co_await srv.wait_closed();
}

// With 900 KiB of one body buffered under a 1 MiB budget, a second body that needs more than the
// rest gets 503 with Connection: close (counted in over_budget); the first one still completes.
WEFT_CO_TEST(http_server_limits, a_body_past_the_memory_budget_gets_503) {
    server_options o;
    o.max_buffered_bytes = MiB;
    server srv(o);
    add_sum_route(srv);
    co_await srv.listen("127.0.0.1", 0);

    constexpr std::size_t first_length = 900 * KiB;
    weft::net::connection a = co_await weft::net::connection::connect("127.0.0.1", srv.port());
    co_await send(a, post_head(first_length) + std::string(800 * KiB, 'a'));
    // Its buffer grows 64, 128, 256, 512 KiB, then to the body's length.
    auto a_buffered = [&] { return srv.stats().buffered_bytes == first_length; };
    const bool a_in = co_await eventually(a_buffered);
    EXPECT_TRUE(a_in) << srv.stats().buffered_bytes << " bytes buffered";

    // The second body's first 64 KiB fit; its growth to 128 KiB does not.
    weft::net::connection b = co_await weft::net::connection::connect("127.0.0.1", srv.port());
    const std::string b_request = post_head(512 * KiB) + std::string(200 * KiB, 'b');
    auto b_send = [&]() -> weft::task<void> {
        try {
            co_await send(b, b_request);
        } catch (const weft::net::error&) {
            // the server may close before it read all of it
        }
    };
    weft::future<void> b_sending = weft::create_task(b_send());
    const std::string b_out = co_await read_to_end(b);
    co_await b_sending;
    EXPECT_EQ(first_line(b_out), "HTTP/1.1 503 Service Unavailable") << b_out;
    EXPECT_NE(b_out.find("Connection: close\r\n"), std::string::npos) << b_out;
    EXPECT_EQ(srv.stats().over_budget, 1u);
    EXPECT_EQ(srv.stats().bad_requests, 0u);

    co_await send(a, std::string(first_length - 800 * KiB, 'a'));
    std::string a_out;
    const bool answered = co_await read_until_seen(a, a_out, "\r\n\r\n921600");
    EXPECT_TRUE(answered) << a_out;
    EXPECT_EQ(first_line(a_out), "HTTP/1.1 200 OK") << a_out;
    a.close();
    auto released = [&] {
        const auto s = srv.stats();
        return s.connections_open == 0 && s.buffered_bytes == 0;
    };
    const bool all_released = co_await eventually(released);
    EXPECT_TRUE(all_released) << srv.stats().buffered_bytes << " bytes still buffered";
    srv.close();
    co_await srv.wait_closed();
}

// A client that waits for 100 Continue is not told to send a body the budget has no room for:
// it gets 503 at once.
WEFT_CO_TEST(http_server_limits, no_100_continue_for_a_body_past_the_budget) {
    server_options o;
    o.max_buffered_bytes = 1000;
    server srv(o);
    add_sum_route(srv);
    co_await srv.listen("127.0.0.1", 0);
    const std::string out = co_await exchange(
        srv.port(),
        "POST /sum HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n");
    EXPECT_EQ(first_line(out), "HTTP/1.1 503 Service Unavailable") << out;
    EXPECT_EQ(out.find("100 Continue"), std::string::npos) << out;
    EXPECT_EQ(srv.stats().over_budget, 1u);
    srv.close();
    co_await srv.wait_closed();
}

// A chunked body counts against the budget as it is decoded.
WEFT_CO_TEST(http_server_limits, a_chunked_body_past_the_budget_gets_503) {
    server_options o;
    o.max_buffered_bytes = 256 * KiB;
    server srv(o);
    add_sum_route(srv);
    co_await srv.listen("127.0.0.1", 0);
    std::string request = "POST /sum HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 75; ++i) { // 300 KiB in 4 KiB chunks
        request += "1000\r\n" + std::string(4 * KiB, 'c') + "\r\n";
    }
    request += "0\r\n\r\n";
    weft::net::connection c = co_await weft::net::connection::connect("127.0.0.1", srv.port());
    auto sending = [&]() -> weft::task<void> {
        try {
            co_await send(c, request);
        } catch (const weft::net::error&) {
            // the server may close before it read all of it
        }
    };
    weft::future<void> sent = weft::create_task(sending());
    const std::string out = co_await read_to_end(c);
    co_await sent;
    EXPECT_EQ(first_line(out), "HTTP/1.1 503 Service Unavailable") << out;
    EXPECT_EQ(srv.stats().over_budget, 1u);
    auto released = [&] {
        const auto s = srv.stats();
        return s.connections_open == 0 && s.buffered_bytes == 0;
    };
    const bool all_released = co_await eventually(released);
    EXPECT_TRUE(all_released) << srv.stats().buffered_bytes << " bytes still buffered";
    srv.close();
    co_await srv.wait_closed();
}

// A client that asks for a large response and never reads it: once the kernel's buffers are full
// the write makes no progress, and send_timeout resets the connection (the task, its buffers and
// the kernel's queued bytes go), for an in-memory body and for a streamed one alike.
WEFT_CO_TEST(http_server_limits, send_timeout_resets_a_client_that_never_reads) {
    server_options o;
    o.send_timeout = 300ms;
    server srv(o);
    const std::string big(16 * MiB, 'z');
    srv.route("GET", "/big", [&](request&) -> weft::task<server_response> {
        co_return server_response::borrowed(big);
    });
    srv.route("GET", "/stream", [](request&) -> weft::task<server_response> {
        co_return server_response::stream([](body_writer& w) -> weft::task<void> {
            const std::string part(64 * KiB, 's');
            for (int i = 0; i < 1024; ++i) { // 64 MiB at most: far more than the buffers hold
                co_await w.write(part);
            }
        });
    });
    co_await srv.listen("127.0.0.1", 0);
    std::uint64_t expected = 0;
    for (const char* path : {"/big", "/stream"}) {
        const int fd = small_window_client(srv.port(), 4096);
        WEFT_CO_ASSERT_GE(fd, 0);
        EXPECT_TRUE(send_raw(fd, std::string("GET ") + path + " HTTP/1.1\r\nHost: a\r\n\r\n"));
        ++expected;
        auto reset = [&] {
            const auto s = srv.stats();
            return s.send_timeouts == expected && s.connections_open == 0;
        };
        const bool was_reset = co_await eventually(reset);
        EXPECT_TRUE(was_reset) << path << ": send_timeouts " << srv.stats().send_timeouts
                               << ", open " << srv.stats().connections_open;
        const bool client_saw_the_end = co_await ended(fd);
        EXPECT_TRUE(client_saw_the_end) << path;
        ::close(fd);
    }
    EXPECT_EQ(srv.stats().io_errors, 0u);
    EXPECT_EQ(srv.stats().handler_errors, 0u);
    srv.close();
    co_await srv.wait_closed();
}

// A client that reads slowly but steadily is not a stalled one: its write progresses, and the
// whole response arrives although it takes several send_timeouts.
WEFT_CO_TEST(http_server_limits, send_timeout_spares_a_slow_reader) {
    server_options o;
    o.send_timeout = 1s;
    server srv(o);
    const std::string big(12 * MiB, 'z');
    srv.route("GET", "/big", [&](request&) -> weft::task<server_response> {
        co_return server_response::borrowed(big);
    });
    co_await srv.listen("127.0.0.1", 0);
    const int fd = small_window_client(srv.port(), 64 * 1024);
    WEFT_CO_ASSERT_GE(fd, 0);
    EXPECT_TRUE(send_raw(fd, "GET /big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
    std::size_t received = 0;
    const auto t0 = std::chrono::steady_clock::now();
    char buf[64 * 1024];
    for (;;) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n == 0) {
            break;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            ADD_FAILURE() << "the connection failed after " << received << " bytes";
            break;
        }
        if (n > 0) {
            received += static_cast<std::size_t>(n);
        }
        WEFT_CO_ASSERT_LT(std::chrono::steady_clock::now() - t0, 60s);
        co_await weft::sleep(10ms); // the client's reading pace (about 6 MB/s at most)
    }
    ::close(fd);
    EXPECT_GT(received, big.size());
    EXPECT_EQ(srv.stats().send_timeouts, 0u);
    srv.close();
    co_await srv.wait_closed();
}

// A streamed body to a client whose socket always has room (1 MiB fits the kernel's buffers)
// never makes a write wait: the producer still yields to the loop after 64 KiB, so a task queued
// when it started runs long before it ends.
WEFT_CO_TEST(http_server_limits, a_streamed_body_lets_the_loop_run_other_tasks) {
    server srv;
    std::size_t produced = 0;
    std::size_t seen = 0;
    std::optional<weft::future<void>> probe;
    constexpr std::size_t total = MiB;
    srv.route("GET", "/stream", [&](request&) -> weft::task<server_response> {
        co_return server_response::stream([&](body_writer& w) -> weft::task<void> {
            probe.emplace(weft::create_task(note(produced, seen)));
            const std::string part(4 * KiB, 's');
            while (produced < total) {
                co_await w.write(part);
                produced += part.size();
            }
        });
    });
    co_await srv.listen("127.0.0.1", 0);
    const std::string out = co_await exchange(
        srv.port(), "GET /stream HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(first_line(out), "HTTP/1.1 200 OK");
    EXPECT_TRUE(out.ends_with("\r\n0\r\n\r\n"));
    WEFT_CO_ASSERT_TRUE(probe.has_value());
    co_await *probe;
    EXPECT_LE(seen, 128 * KiB) << "the loop ran another task only after " << seen
                               << " bytes of the body";
    srv.close();
    co_await srv.wait_closed();
}

// 1,000 pipelined requests, all already in the server's socket, and answers that all fit the
// client's: no read or write ever waits, yet the connection's task yields to the loop every few
// dozen requests, so a task queued by the first handler runs long before the last request.
WEFT_CO_TEST(http_server_limits, a_pipelined_flood_lets_the_loop_run_other_tasks) {
    server srv;
    std::size_t served = 0;
    std::size_t seen = 0;
    std::optional<weft::future<void>> probe;
    srv.route("GET", "/p", [&](request&) -> weft::task<server_response> {
        if (served++ == 0) {
            probe.emplace(weft::create_task(note(served, seen)));
        }
        co_return server_response::text("p");
    });
    co_await srv.listen("127.0.0.1", 0);
    constexpr std::size_t requests = 1000;
    std::string flood;
    for (std::size_t i = 0; i + 1 < requests; ++i) {
        flood += "GET /p HTTP/1.1\r\nHost: a\r\n\r\n";
    }
    flood += "GET /p HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    const std::string out = co_await exchange(srv.port(), flood);
    EXPECT_EQ(count(out, "HTTP/1.1 200 OK"), requests);
    WEFT_CO_ASSERT_TRUE(probe.has_value());
    co_await *probe;
    EXPECT_LE(seen, 100u) << "the loop ran another task only after " << seen << " requests";
    srv.close();
    co_await srv.wait_closed();
}

// max_connections 0 is derived from the descriptor limit: finite, below the soft limit.
TEST(http_server_limits, the_default_max_connections_follows_the_descriptor_limit) {
    rlimit lim{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &lim), 0);
    const std::size_t n = weft::http::default_max_connections();
    EXPECT_GE(n, 1u);
    if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur <= (1u << 20)) {
        EXPECT_LT(n, static_cast<std::size_t>(lim.rlim_cur));
        EXPECT_GE(n, static_cast<std::size_t>(lim.rlim_cur) - lim.rlim_cur / 16 - 32);
    }
}
