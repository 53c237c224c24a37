// weft::net::start_server: loops, limits, closing, address families, handler failures.

#include "tcp_test.hpp"

#include <weft/net/connection.hpp>
#include <weft/net/error.hpp>
#include <weft/net/server.hpp>
#include <weft/net/stream.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/event.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/wait_for.hpp>
#include <weft/testing/loopback.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using weft::net::connection;
using weft::net::testing::echo_handler;
using weft::net::testing::read_all;

using weft::testing::ipv6_loopback_available;

namespace {

/// Sends msg, half-closes, returns what comes back until EOF.
weft::task<std::string> exchange(std::uint16_t port, std::string msg) {
    connection c = co_await connection::connect("127.0.0.1", port);
    co_await c.write_all(std::span<const char>(msg));
    c.shutdown_write();
    co_return co_await read_all(c);
}

} // namespace

WEFT_TCP_TEST_LOOPS(server, port_zero_on_two_loops_spreads_connections, 2) {
    // Each handler records which loop (and thread) runs it; the acceptor of each loop hands its
    // connections to handlers on the same loop.
    struct seen {
        std::array<std::atomic<int>, 2> per_loop{};
        std::array<std::atomic<std::thread::id>, 2> thread{};
        std::atomic<int> wrong_thread{0};
    };
    auto s = std::make_shared<seen>();
    auto handler = [s](connection c) -> weft::task<void> {
        const std::size_t id = weft::current_loop().id();
        s->per_loop.at(id).fetch_add(1);
        std::thread::id expected{};
        if (!s->thread[id].compare_exchange_strong(expected, std::this_thread::get_id()) &&
            expected != std::this_thread::get_id()) {
            s->wrong_thread.fetch_add(1);
        }
        co_await echo_handler(std::move(c));
    };
    weft::net::server srv = co_await weft::net::start_server(handler, "127.0.0.1", 0);
    const std::uint16_t port = srv.port();
    WEFT_CO_ASSERT_NE(port, 0);
    const auto eps = srv.endpoints();
    WEFT_CO_ASSERT_EQ(eps.size(), 2u);
    EXPECT_EQ(eps[0], eps[1]) << "both acceptors share the port";
    std::vector<weft::task<std::string>> clients;
    for (int i = 0; i < 48; ++i) {
        clients.push_back(exchange(port, "hello " + std::to_string(i)));
    }
    const std::vector<std::string> replies = co_await weft::gather(std::move(clients));
    for (int i = 0; i < 48; ++i) {
        EXPECT_EQ(replies[i], "hello " + std::to_string(i));
    }
    co_await srv.wait_closed();
    EXPECT_EQ(s->per_loop[0] + s->per_loop[1], 48);
    EXPECT_GT(s->per_loop[0].load(), 0) << "loop 0 served no connection";
    EXPECT_GT(s->per_loop[1].load(), 0) << "loop 1 served no connection";
    EXPECT_NE(s->thread[0].load(), s->thread[1].load());
    EXPECT_EQ(s->wrong_thread.load(), 0);
    EXPECT_EQ(srv.stats().accepted, 48u);
    EXPECT_EQ(srv.stats().open, 0u);
}

namespace {

/// Handlers that wait until released, counting themselves.
struct gate {
    weft::event release;
    std::atomic<int> running{0};
    std::atomic<int> max_running{0};
    std::atomic<int> cancelled{0};
};

weft::task<void> gated(std::shared_ptr<gate> g, connection c) {
    const int now = g->running.fetch_add(1) + 1;
    int seen = g->max_running.load();
    while (now > seen && !g->max_running.compare_exchange_weak(seen, now)) {
    }
    try {
        co_await g->release.wait();
    } catch (const weft::cancelled_error&) {
        g->cancelled.fetch_add(1);
        g->running.fetch_sub(1);
        throw;
    }
    g->running.fetch_sub(1);
    co_await c.write_all(std::span<const char>("done", 4));
}

} // namespace

WEFT_TCP_TEST(server, max_connections_pauses_accepting) {
    auto g = std::make_shared<gate>();
    weft::net::server_options opts;
    opts.max_connections = 2;
    // The owning lambda is named before the co_await (g++ 12).
    auto handler = [g](connection c) { return gated(g, std::move(c)); };
    weft::net::server srv = co_await weft::net::start_server(handler, "127.0.0.1", 0, opts);
    std::vector<connection> clients;
    for (int i = 0; i < 4; ++i) {
        // The kernel completes the handshakes from its backlog, accepted or not.
        clients.push_back(co_await connection::connect("127.0.0.1", srv.port()));
    }
    const bool two = co_await weft::testing::yield_until([&] { return g->running.load() == 2; });
    WEFT_CO_ASSERT_TRUE(two);
    // The server does not accept a third while two are served.
    const bool more =
        co_await weft::testing::yield_until([&] { return srv.stats().accepted > 2; }, 2000);
    EXPECT_FALSE(more);
    EXPECT_EQ(srv.stats().open, 2u);
    g->release.set();
    for (connection& c : clients) {
        const std::string reply = co_await read_all(c);
        EXPECT_EQ(reply, "done");
    }
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().accepted, 4u);
    EXPECT_LE(g->max_running.load(), 2);
}

WEFT_TCP_TEST(server, graceful_close_waits_then_cancels_stragglers) {
    auto g = std::make_shared<gate>();
    auto handler = [g](connection c) { return gated(g, std::move(c)); };
    weft::net::server srv = co_await weft::net::start_server(handler, "127.0.0.1", 0);
    const std::uint16_t port = srv.port();
    connection c = co_await connection::connect("127.0.0.1", port);
    const bool started =
        co_await weft::testing::yield_until([&] { return g->running.load() == 1; });
    WEFT_CO_ASSERT_TRUE(started);
    srv.close();
    EXPECT_FALSE(srv.is_serving());
    // No longer listening: a new connection is refused.
    WEFT_CO_ASSERT_THROW({ connection late = co_await connection::connect("127.0.0.1", port); },
                         weft::net::connection_refused);
    // The in-flight handler keeps running through the grace period, then is cancelled.
    co_await srv.wait_closed(30ms);
    EXPECT_EQ(g->cancelled.load(), 1);
    EXPECT_EQ(g->running.load(), 0);
    EXPECT_EQ(srv.stats().open, 0u);
    const std::string rest = co_await read_all(c);
    EXPECT_EQ(rest, "") << "the cancelled handler's connection was closed";
}

WEFT_TCP_TEST(server, wait_closed_waits_for_in_flight_handlers) {
    auto g = std::make_shared<gate>();
    auto handler = [g](connection c) { return gated(g, std::move(c)); };
    weft::net::server srv = co_await weft::net::start_server(handler, "127.0.0.1", 0);
    connection c = co_await connection::connect("127.0.0.1", srv.port());
    const bool started =
        co_await weft::testing::yield_until([&] { return g->running.load() == 1; });
    WEFT_CO_ASSERT_TRUE(started);
    auto closing = weft::create_task(srv.wait_closed());
    const bool finished_early =
        co_await weft::testing::yield_until([&] { return closing.done(); }, 200);
    EXPECT_FALSE(finished_early) << "wait_closed returned with a handler in flight";
    g->release.set();
    co_await closing;
    const std::string reply = co_await read_all(c);
    EXPECT_EQ(reply, "done");
    EXPECT_EQ(g->cancelled.load(), 0);
}

namespace {

weft::task<void> failing_handler(connection c) {
    char b;
    (void)co_await c.read_some(std::span<char>(&b, 1));
    throw std::runtime_error("handler failure");
}

} // namespace

WEFT_TCP_TEST(server, a_failing_handler_ends_only_its_connection) {
    weft::net::server srv = co_await weft::net::start_server(failing_handler, "127.0.0.1", 0);
    for (int i = 0; i < 3; ++i) {
        const std::string r = co_await exchange(srv.port(), "x");
        EXPECT_EQ(r, "");
    }
    EXPECT_TRUE(srv.is_serving());
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().accepted, 3u);
}

WEFT_TCP_TEST(server, address_in_use_is_an_error) {
    weft::net::server a = co_await weft::net::start_server(echo_handler, "127.0.0.1", 0);
    bool threw = false;
    try {
        weft::net::server b = co_await weft::net::start_server(echo_handler, "127.0.0.1", a.port());
    } catch (const weft::net::error& e) {
        threw = true;
        EXPECT_NE(std::string(e.what()).find(std::to_string(a.port())), std::string::npos)
            << e.what();
    }
    EXPECT_TRUE(threw);
    co_await a.wait_closed();
}

namespace {

weft::task<void> ipv6_round_trip() {
    weft::net::server srv = co_await weft::net::start_server(echo_handler, "::1", 0);
    EXPECT_EQ(srv.endpoints().at(0).kind(), weft::net::endpoint::family::ipv6);
    EXPECT_EQ(srv.endpoints().at(0).to_string(), "[::1]:" + std::to_string(srv.port()));
    connection c = co_await connection::connect("::1", srv.port());
    EXPECT_EQ(c.peer_endpoint().to_string(), "[::1]:" + std::to_string(srv.port()));
    co_await c.write_all(std::span<const char>("six", 3));
    c.shutdown_write();
    const std::string back = co_await read_all(c);
    EXPECT_EQ(back, "six");
    co_await srv.wait_closed();
}

weft::task<void> unix_round_trip(std::string path) {
    weft::net::server_options opts;
    opts.unix_path = path;
    auto handler = [](weft::net::stream_reader r, weft::net::stream_writer w) -> weft::task<void> {
        const std::string line = co_await r.readline();
        w.write("echo: " + line);
        co_await w.drain();
        w.close();
        co_await w.wait_closed();
    };
    weft::net::server srv = co_await weft::net::start_server(handler, "", 0, opts);
    EXPECT_EQ(srv.port(), 0);
    EXPECT_EQ(srv.endpoints().at(0).to_string(), "unix:" + path);
    auto [reader, writer] = co_await weft::net::open_unix_connection(path);
    writer.write("over a unix socket\n");
    co_await writer.drain();
    const std::string reply = co_await reader.readline();
    EXPECT_EQ(reply, "echo: over a unix socket\n");
    const std::string end = co_await reader.read();
    EXPECT_EQ(end, "");
    EXPECT_TRUE(reader.at_eof());
    co_await srv.wait_closed();
    EXPECT_NE(::access(path.c_str(), F_OK), 0) << "the socket file was removed";
}

} // namespace

TEST(server, ipv6_loopback) {
    if (!ipv6_loopback_available()) {
        GTEST_SKIP() << "::1 is not available here";
    }
    const std::size_t fds = weft::net::testing::open_fd_count();
    weft::testing::detail::run_test_body(ipv6_round_trip(), 1);
    EXPECT_EQ(weft::net::testing::open_fd_count(), fds);
}

TEST(server, unix_socket_with_streams) {
    const std::string path = "/tmp/weft-tcp-test-" + std::to_string(::getpid()) + ".sock";
    const std::size_t fds = weft::net::testing::open_fd_count();
    weft::testing::detail::run_test_body(unix_round_trip(path), 1);
    EXPECT_EQ(weft::net::testing::open_fd_count(), fds);
}

WEFT_TCP_TEST_LOOPS(server, loop_shutdown_cancels_handlers, 2) {
    // A server left open when weft::run ends: its acceptors and handlers are cancelled and every
    // descriptor is closed (checked by the test macro).
    auto g = std::make_shared<gate>();
    auto handler = [g](connection c) { return gated(g, std::move(c)); };
    weft::net::server srv = co_await weft::net::start_server(handler, "127.0.0.1", 0);
    std::vector<connection> clients;
    for (int i = 0; i < 6; ++i) {
        clients.push_back(co_await connection::connect("127.0.0.1", srv.port()));
    }
    const bool all =
        co_await weft::testing::yield_until([&] { return g->running.load() == 6; }, 100'000);
    EXPECT_TRUE(all);
    // srv is destroyed here (stops accepting); the handlers stay until the runtime shuts down.
}

namespace {

/// A client on whatever loop runs it: n exchanges with the server, each on a new connection.
weft::task<int> client_on_this_loop(std::uint16_t port, int n) {
    int ok = 0;
    for (int i = 0; i < n; ++i) {
        const std::string msg =
            "loop " + std::to_string(weft::current_loop().id()) + " #" + std::to_string(i);
        const std::string back = co_await exchange(port, msg);
        ok += back == msg ? 1 : 0;
    }
    co_return ok;
}

weft::task<void> read_from(connection& c) {
    char buf[8];
    (void)co_await c.read_some(buf);
}

} // namespace

WEFT_TCP_TEST_LOOPS(server, clients_on_every_loop_and_close_from_another, 2) {
    weft::net::server srv = co_await weft::net::start_server(echo_handler, "127.0.0.1", 0);
    const std::uint16_t port = srv.port();
    auto on0 = weft::spawn_on(0, client_on_this_loop(port, 20));
    auto on1 = weft::spawn_on(1, client_on_this_loop(port, 20));
    const int ok0 = co_await on0;
    const int ok1 = co_await on1;
    EXPECT_EQ(ok0, 20);
    EXPECT_EQ(ok1, 20);
    // close() from loop 1 (the server was started on loop 0), then wait on loop 0.
    weft::net::server* s = &srv;
    auto closer = [s]() -> weft::task<void> {
        s->close();
        co_return;
    };
    co_await weft::spawn_on(1, closer());
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().accepted, 40u);
    EXPECT_EQ(srv.stats().open, 0u);
}

WEFT_TCP_TEST_LOOPS(server, a_connection_used_from_another_loop_is_refused, 2) {
    weft::net::server srv = co_await weft::net::start_server(echo_handler, "127.0.0.1", 0);
    connection c = co_await connection::connect("127.0.0.1", srv.port()); // on loop 0
    bool refused = false;
    try {
        co_await weft::spawn_on(1, read_from(c));
    } catch (const weft::invalid_state_error& e) {
        refused = std::string(e.what()).find("another loop") != std::string::npos;
    }
    EXPECT_TRUE(refused);
    c.close();
    co_await srv.wait_closed();
}
