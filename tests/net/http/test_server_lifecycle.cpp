// The HTTP server's promises that the other server tests leave out: a head dripped in byte by
// byte still ends at header_timeout (slowloris), close() and wait_closed() with requests in
// flight, HEAD of a streamed route, a handler's own `Connection: close`, a client that vanishes
// mid-response (io_errors), max_connections, IPv6, the access log being off by default, and the
// Date header's value.

#include "http_test.hpp"

#include <weft/net/connection.hpp>
#include <weft/net/error.hpp>
#include <weft/net/http/server.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/event.hpp>
#include <weft/runtime/log.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/wait_for.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/testing/loopback.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using weft::http::request;
using weft::http::server;
using weft::http::server_options;
using weft::http::server_response;
using namespace weft::testing::http;

using weft::testing::ipv6_loopback_available;

namespace {

weft::task<void> send(weft::net::connection& c, std::string_view s) {
    co_await c.write_all(std::span<const char>(s.data(), s.size()));
}

} // namespace

// header_timeout bounds the whole head, not each read: a client that sends one byte every 50 ms
// (well inside the timeout for each read) still gets 408 once 300 ms have passed since the head
// began, long before its 120 bytes (6 s) are out.
WEFT_CO_TEST(http_server_lifecycle, a_head_dripped_byte_by_byte_still_times_out) {
    server_options o;
    o.header_timeout = 300ms;
    o.idle_timeout = 10s;
    server srv(o);
    srv.route("GET", "/hello", [](request&) -> weft::task<server_response> {
        co_return server_response::text("hello");
    });
    co_await srv.listen("127.0.0.1", 0);
    weft::net::connection c = co_await weft::net::connection::connect("127.0.0.1", srv.port());
    const std::string head = "GET /hello HTTP/1.1\r\nHost: t\r\nX-Slow: " + std::string(80, 's');
    std::size_t sent = 0;
    auto drip = [&]() -> weft::task<void> {
        try {
            for (; sent < head.size(); ++sent) {
                co_await send(c, std::string_view(head).substr(sent, 1));
                co_await weft::sleep(50ms); // the pace of the attack, not a synchronisation
            }
        } catch (const weft::net::error&) {
            // the server closed the connection
        }
    };
    auto dripping = weft::create_task(drip());
    const auto t0 = std::chrono::steady_clock::now();
    const std::string out = co_await read_to_end(c);
    const auto took = std::chrono::steady_clock::now() - t0;
    const std::size_t sent_when_answered = sent;
    dripping.cancel();
    try {
        co_await dripping;
    } catch (const weft::cancelled_error&) {
    }
    EXPECT_EQ(first_line(out), "HTTP/1.1 408 Request Timeout") << out;
    EXPECT_LT(sent_when_answered, head.size()) << "the head was complete before any 408";
    EXPECT_LT(took, 3s) << "408 came " << std::chrono::duration<double>(took).count() << " s in";
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().timeouts, 1u);
}

// A pipelined second request's head that arrives slowly gets the same bound.
WEFT_CO_TEST(http_server_lifecycle, the_header_timeout_restarts_with_each_request) {
    server_options o;
    o.header_timeout = 1s;
    server srv(o);
    srv.route("GET", "/hello", [](request&) -> weft::task<server_response> {
        co_return server_response::text("hello");
    });
    co_await srv.listen("127.0.0.1", 0);
    weft::net::connection c = co_await weft::net::connection::connect("127.0.0.1", srv.port());
    // Three requests, each head sent in two halves 400 ms apart: each head takes 400 ms, well
    // inside its own 1 s, though all three take longer than 1 s together.
    std::string out;
    for (int i = 0; i < 3; ++i) {
        co_await send(c, "GET /hello HTTP/1.1\r\n");
        co_await weft::sleep(400ms); // the client's pace, not a synchronisation
        co_await send(c, "Host: t\r\n\r\n");
        char buf[4096];
        while (count(out, "hello") < static_cast<std::size_t>(i + 1)) {
            const std::size_t n = co_await weft::wait_for(c.read_some(std::span<char>(buf)), 10s);
            WEFT_CO_ASSERT_GT(n, 0u) << "closed after " << i << " answers: " << out;
            out.append(buf, n);
        }
    }
    EXPECT_EQ(count(out, "hello"), 3u);
    c.close();
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().timeouts, 0u);
}

// close() while a handler runs: the request is still answered, with `Connection: close`, and the
// connection ends; wait_closed() waits for it.
WEFT_CO_TEST(http_server_lifecycle, close_lets_a_request_in_flight_finish_with_connection_close) {
    server srv;
    weft::event release;
    std::atomic<int> entered{0};
    srv.route("GET", "/slow", [&](request&) -> weft::task<server_response> {
        entered.fetch_add(1);
        co_await release.wait();
        co_return server_response::text("finished");
    });
    co_await srv.listen("127.0.0.1", 0);
    weft::net::connection c = co_await weft::net::connection::connect("127.0.0.1", srv.port());
    co_await send(c, "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
    const bool in = co_await weft::testing::yield_until([&] { return entered.load() == 1; });
    WEFT_CO_ASSERT_TRUE(in);
    srv.close();
    // No longer listening.
    WEFT_CO_ASSERT_THROW(
        { auto late = co_await weft::net::connection::connect("127.0.0.1", srv.port()); },
        weft::net::connection_refused);
    auto closing = weft::create_task(srv.wait_closed());
    const bool early = co_await weft::testing::yield_until([&] { return closing.done(); }, 200);
    EXPECT_FALSE(early) << "wait_closed() returned with a request in flight";
    release.set();
    const std::string out = co_await read_to_end(c);
    c.close();
    co_await closing;
    EXPECT_EQ(first_line(out), "HTTP/1.1 200 OK") << out;
    EXPECT_NE(out.find("\r\nConnection: close\r\n"), std::string::npos) << out;
    EXPECT_EQ(out.substr(out.size() - 8), "finished");
    EXPECT_EQ(srv.stats().connections_open, 0u);
    EXPECT_EQ(srv.stats().requests, 1u);
}

// wait_closed(grace): a handler still running when the grace period ends is cancelled.
WEFT_CO_TEST(http_server_lifecycle, wait_closed_cancels_a_handler_that_outlives_the_grace_period) {
    server srv;
    std::atomic<int> entered{0};
    std::atomic<int> cancelled{0};
    srv.route("GET", "/stuck", [&](request&) -> weft::task<server_response> {
        entered.fetch_add(1);
        try {
            co_await weft::testing::until_cancelled();
        } catch (const weft::cancelled_error&) {
            cancelled.fetch_add(1);
            throw;
        }
        co_return server_response::text("never");
    });
    co_await srv.listen("127.0.0.1", 0);
    weft::net::connection c = co_await weft::net::connection::connect("127.0.0.1", srv.port());
    co_await send(c, "GET /stuck HTTP/1.1\r\nHost: t\r\n\r\n");
    const bool in = co_await weft::testing::yield_until([&] { return entered.load() == 1; });
    WEFT_CO_ASSERT_TRUE(in);
    srv.close();
    const auto t0 = std::chrono::steady_clock::now();
    co_await srv.wait_closed(50ms);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
    EXPECT_EQ(cancelled.load(), 1);
    EXPECT_EQ(srv.stats().connections_open, 0u);
    const std::string out = co_await read_to_end(c);
    EXPECT_EQ(out, "") << "the cancelled request got no answer, only the close";
}

// HEAD of a route whose GET streams its body: the head of the GET (chunked), no body, and the
// connection stays usable for the next request.
WEFT_CO_TEST(http_server_lifecycle,
             head_of_a_streamed_route_sends_no_body_and_keeps_the_connection) {
    server srv;
    std::atomic<int> produced{0};
    srv.route("GET", "/stream", [&](request&) -> weft::task<server_response> {
        co_return server_response::stream([&](weft::http::body_writer& w) -> weft::task<void> {
            produced.fetch_add(1);
            co_await w.write("part one;");
            co_await w.write("part two");
        });
    });
    co_await srv.listen("127.0.0.1", 0);
    const std::string out = co_await exchange(
        srv.port(), "HEAD /stream HTTP/1.1\r\nHost: t\r\n\r\n"
                    "GET /stream HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    const auto second = out.find("HTTP/1.1 200 OK", 1);
    WEFT_CO_ASSERT_NE(second, std::string::npos) << out;
    const std::string head = out.substr(0, second);
    EXPECT_EQ(first_line(head), "HTTP/1.1 200 OK");
    EXPECT_NE(head.find("\r\nTransfer-Encoding: chunked\r\n"), std::string::npos) << head;
    EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n") << "HEAD's answer carries no body";
    EXPECT_EQ(head.find("part"), std::string::npos) << head;
    const std::string get = out.substr(second);
    EXPECT_EQ(get.substr(get.find("\r\n\r\n") + 4), "9\r\npart one;\r\n8\r\npart two\r\n0\r\n\r\n");
    EXPECT_EQ(produced.load(), 1) << "the producer runs for GET only";
    srv.close();
    co_await srv.wait_closed();
}

// A handler that answers with `Connection: close` ends the connection after its response, and
// the pipelined request behind it is not answered.
WEFT_CO_TEST(http_server_lifecycle, a_handlers_connection_close_ends_the_connection) {
    server srv;
    srv.route("GET", "/bye", [](request&) -> weft::task<server_response> {
        server_response r = server_response::text("bye");
        r.set_header("Connection", "close");
        co_return r;
    });
    co_await srv.listen("127.0.0.1", 0);
    const std::string out = co_await exchange(srv.port(), "GET /bye HTTP/1.1\r\nHost: t\r\n\r\n"
                                                          "GET /bye HTTP/1.1\r\nHost: t\r\n\r\n");
    EXPECT_EQ(count(out, "HTTP/1.1 200 OK"), 1u) << out;
    EXPECT_EQ(count(out, "Connection: close\r\n"), 1u) << out;
    EXPECT_EQ(out.substr(out.size() - 3), "bye");
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().requests, 1u);
}

// A client that resets the connection while its streamed response is being written: the server
// counts an I/O error, keeps serving, and leaks no connection.
WEFT_CO_TEST(http_server_lifecycle, a_client_gone_mid_response_counts_as_an_io_error) {
    server srv;
    std::atomic<int> producer_failed{0};
    srv.route("GET", "/endless", [&](request&) -> weft::task<server_response> {
        co_return server_response::stream([&](weft::http::body_writer& w) -> weft::task<void> {
            const std::string part(64 * 1024, 'e');
            try {
                for (int i = 0; i < 100'000; ++i) {
                    co_await w.write(part);
                }
            } catch (const weft::net::error&) {
                producer_failed.fetch_add(1);
                throw;
            }
        });
    });
    srv.route("GET", "/hello", [](request&) -> weft::task<server_response> {
        co_return server_response::text("hello");
    });
    co_await srv.listen("127.0.0.1", 0);
    {
        weft::net::connection c = co_await weft::net::connection::connect("127.0.0.1", srv.port());
        co_await send(c, "GET /endless HTTP/1.1\r\nHost: t\r\n\r\n");
        std::string out;
        const bool started = co_await read_until_seen(c, out, "eeee");
        WEFT_CO_ASSERT_TRUE(started);
        c.abort(); // RST
    }
    const bool ended = co_await weft::testing::yield_until(
        [&] { return srv.stats().connections_open == 0; }, 1'000'000);
    WEFT_CO_ASSERT_TRUE(ended);
    EXPECT_EQ(producer_failed.load(), 1);
    EXPECT_EQ(srv.stats().io_errors, 1u);
    const std::string ok = co_await exchange(
        srv.port(), "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(first_line(ok), "HTTP/1.1 200 OK");
    srv.close();
    co_await srv.wait_closed();
}

// max_connections: at the limit, a further connection is accepted only once one ends.
WEFT_CO_TEST(http_server_lifecycle, max_connections_serves_the_next_connection_when_one_ends) {
    server_options o;
    o.max_connections = 1;
    server srv(o);
    srv.route("GET", "/hello", [](request&) -> weft::task<server_response> {
        co_return server_response::text("hello");
    });
    co_await srv.listen("127.0.0.1", 0);
    weft::net::connection first = co_await weft::net::connection::connect("127.0.0.1", srv.port());
    co_await send(first, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"); // then idles in keep-alive
    std::string out1;
    const bool one = co_await read_until_seen(first, out1, "hello");
    WEFT_CO_ASSERT_TRUE(one);
    weft::net::connection second = co_await weft::net::connection::connect("127.0.0.1", srv.port());
    co_await send(second, "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    char b[64];
    // Not served while the first connection is open (the kernel completed the handshake only).
    WEFT_CO_ASSERT_THROW((void)co_await weft::wait_for(second.read_some(std::span<char>(b)), 300ms),
                         weft::timeout_error);
    EXPECT_EQ(srv.stats().connections_total, 1u);
    first.close();
    const std::string out2 = co_await read_to_end(second);
    second.close();
    EXPECT_EQ(first_line(out2), "HTTP/1.1 200 OK");
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().connections_total, 2u);
}

namespace {

weft::task<void> serve_over_ipv6() {
    server srv;
    srv.route("GET", "/who", [](request& req) -> weft::task<server_response> {
        co_return server_response::text(req.remote_address());
    });
    co_await srv.listen("::1", 0);
    weft::net::connection c = co_await weft::net::connection::connect("::1", srv.port());
    co_await send(c, "GET /who HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n");
    const std::string out = co_await read_to_end(c);
    c.close();
    EXPECT_EQ(first_line(out), "HTTP/1.1 200 OK");
    EXPECT_EQ(out.substr(out.find("\r\n\r\n") + 4).substr(0, 6), "[::1]:") << out;
    srv.close();
    co_await srv.wait_closed();
}

} // namespace

TEST(http_server_lifecycle, serves_over_ipv6) {
    if (!ipv6_loopback_available()) {
        GTEST_SKIP() << "::1 is not available here";
    }
    weft::testing::detail::run_test_body(serve_over_ipv6(), 1);
}

namespace {

/// Sends one GET /hello and returns the whole answer.
weft::task<std::string> one_hello() {
    server srv;
    srv.route("GET", "/hello", [](request&) -> weft::task<server_response> {
        co_return server_response::text("hello");
    });
    co_await srv.listen("127.0.0.1", 0);
    std::string out = co_await exchange(
        srv.port(), "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    srv.close();
    co_await srv.wait_closed();
    co_return out;
}

weft::task<void> no_access_log_by_default(std::ostringstream& lines) {
    const std::string out = co_await one_hello();
    EXPECT_EQ(first_line(out), "HTTP/1.1 200 OK");
    EXPECT_EQ(lines.str().find("\"GET /hello HTTP/1.1\" 200"), std::string::npos) << lines.str();
}

} // namespace

// The access log is off unless asked for: the "weft.http" logger starts at warn.
TEST(http_server_lifecycle, the_access_log_is_off_by_default) {
    if (std::getenv("WEFT_LOG_LEVEL") != nullptr) {
        GTEST_SKIP() << "WEFT_LOG_LEVEL is set";
    }
    spdlog::logger& log = weft::log::get("weft.http");
    EXPECT_FALSE(log.should_log(spdlog::level::info));
    std::ostringstream lines;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(lines);
    log.sinks().push_back(sink);
    weft::testing::detail::run_test_body(no_access_log_by_default(lines), 1);
    log.sinks().pop_back();
}

// The Date header is the current time (RFC 9110 IMF-fixdate, GMT), not just well formed.
WEFT_CO_TEST(http_server_lifecycle, the_date_header_is_now) {
    const std::string out = co_await one_hello();
    const auto at = out.find("\r\nDate: ");
    WEFT_CO_ASSERT_NE(at, std::string::npos) << out;
    const std::string value = out.substr(at + 8, 29);
    std::tm tm{};
    const char* end = ::strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    WEFT_CO_ASSERT_TRUE(end != nullptr && *end == '\0') << value;
    const std::time_t sent = ::timegm(&tm);
    const std::time_t now = std::time(nullptr);
    EXPECT_LE(std::abs(static_cast<long>(now - sent)), 5L) << value;
}
