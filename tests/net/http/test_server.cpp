// The HTTP server against real clients on 127.0.0.1: raw requests over a socket (exact status
// lines), curl and Python's http.client.

#include "http_test.hpp"

#include <weft/executors.hpp>
#include <weft/net/http/server.hpp>
#include <weft/runtime/log.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/testing/co_test.hpp>

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using weft::http::request;
using weft::http::server;
using weft::http::server_options;
using weft::http::server_response;
using namespace weft::testing::http;

namespace {

void add_routes(server& srv) {
    srv.route("GET", "/hello", [](request&) -> weft::task<server_response> {
        co_return server_response::text("hello");
    });
    srv.route("GET", "/items/{id}", [](request& req) -> weft::task<server_response> {
        co_return server_response::text("item " + std::string(req.param("id")) +
                                        " q=" + req.query_param("q").value_or("-"));
    });
    srv.route("PUT", "/items/{id}", [](request& req) -> weft::task<server_response> {
        co_return server_response(201, "stored " + std::string(req.param("id")));
    });
    srv.route("GET", "/items/{id}/parts/{part}", [](request& req) -> weft::task<server_response> {
        co_return server_response::text(std::string(req.param("id")) + "/" +
                                        std::string(req.param("part")));
    });
    srv.route("POST", "/echo", [](request& req) -> weft::task<server_response> {
        server_response r = server_response::text(req.body());
        r.set_header("X-Body-Length", std::to_string(req.body().size()));
        co_return r;
    });
    srv.route("GET", "/stream", [](request&) -> weft::task<server_response> {
        co_return server_response::stream([](weft::http::body_writer& w) -> weft::task<void> {
            const std::string part(1000, 'x');
            for (int i = 0; i < 100; ++i) {
                co_await w.write(part);
            }
        });
    });
    srv.route("GET", "/boom", [](request&) -> weft::task<server_response> {
        throw std::runtime_error("handler failure");
        co_return server_response{};
    });
#if !defined(__SANITIZE_THREAD__) // oneTBB (the default executor) is not TSan-instrumented
    srv.route("GET", "/blocking", [](request&) -> weft::task<server_response> {
        // A blocking call leaves the loop through the default executor.
        const auto caller = std::this_thread::get_id();
        auto other = [caller] { return std::this_thread::get_id() != caller; };
        const bool other_thread = co_await weft::to_thread(std::move(other));
        co_return server_response::text(other_thread ? "offloaded" : "on the loop");
    });
#endif
}

struct running {
    server srv;
    explicit running(server_options o = {}) : srv(std::move(o)) { add_routes(srv); }
};

std::string url(const server& srv, std::string_view path) {
    return "http://127.0.0.1:" + std::to_string(srv.port()) + std::string(path);
}

} // namespace

WEFT_CO_TEST(http_server, answers_a_request_with_date_and_length) {
    running r;
    co_await r.srv.listen("127.0.0.1", 0);
    const std::string out = co_await exchange(
        r.srv.port(), "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(first_line(out), "HTTP/1.1 200 OK");
    EXPECT_NE(out.find("\r\nContent-Length: 5\r\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\r\nConnection: close\r\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\r\nServer: weft\r\n"), std::string::npos) << out;
    const auto date = out.find("\r\nDate: ");
    WEFT_CO_ASSERT_NE(date, std::string::npos);
    const std::string value = out.substr(date + 8, out.find("\r\n", date + 2) - date - 8);
    EXPECT_EQ(value.size(), 29u) << value; // "Sun, 06 Nov 1994 08:49:37 GMT"
    EXPECT_EQ(value.substr(25), " GMT");
    EXPECT_EQ(out.substr(out.size() - 9), "\r\n\r\nhello");
    r.srv.close();
    co_await r.srv.wait_closed();
    EXPECT_EQ(r.srv.stats().requests, 1u);
}

WEFT_CO_TEST(http_server, path_and_query_parameters_404_and_405) {
    running r;
    co_await r.srv.listen("127.0.0.1", 0);
    const std::uint16_t port = r.srv.port();
    std::string out = co_await exchange(
        port, "GET /items/a%20b?q=x%2By+z HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(out.substr(out.find("\r\n\r\n") + 4), "item a b q=x+y z");
    out = co_await exchange(
        port, "GET /items/7/parts/9 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(out.substr(out.find("\r\n\r\n") + 4), "7/9");
    out = co_await exchange(port, "GET /nothing HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(first_line(out), "HTTP/1.1 404 Not Found");
    out = co_await exchange(port, "GET /items/ HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(first_line(out), "HTTP/1.1 404 Not Found");
    out =
        co_await exchange(port, "DELETE /items/3 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(first_line(out), "HTTP/1.1 405 Method Not Allowed");
    EXPECT_NE(out.find("\r\nAllow: GET, HEAD, PUT\r\n"), std::string::npos) << out;
    r.srv.close();
    co_await r.srv.wait_closed();
    EXPECT_EQ(r.srv.stats().not_found, 2u);
    EXPECT_EQ(r.srv.stats().method_not_allowed, 1u);
}

WEFT_CO_TEST(http_server, head_sends_the_headers_of_get_without_body) {
    running r;
    co_await r.srv.listen("127.0.0.1", 0);
    const std::string out = co_await exchange(
        r.srv.port(), "HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n"
                      "Connection: close\r\n\r\n");
    // The HEAD answer has Content-Length 5 and no body: the next bytes are the GET's status line.
    const auto second = out.find("HTTP/1.1 200 OK", 1);
    WEFT_CO_ASSERT_NE(second, std::string::npos);
    const std::string head = out.substr(0, second);
    EXPECT_EQ(first_line(head), "HTTP/1.1 200 OK");
    EXPECT_NE(head.find("Content-Length: 5\r\n"), std::string::npos);
    EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
    EXPECT_EQ(out.substr(out.size() - 5), "hello");
    r.srv.close();
    co_await r.srv.wait_closed();
}

WEFT_CO_TEST(http_server, pipelined_requests_are_answered_in_order) {
    running r;
    co_await r.srv.listen("127.0.0.1", 0);
    std::string reqs;
    for (int i = 0; i < 5; ++i) {
        reqs += "GET /items/" + std::to_string(i) + " HTTP/1.1\r\nHost: t\r\n\r\n";
    }
    reqs += "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc";
    reqs += "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    const std::string out = co_await exchange(r.srv.port(), reqs);
    EXPECT_EQ(count(out, "HTTP/1.1 200 OK\r\n"), 7u);
    std::size_t pos = 0;
    for (int i = 0; i < 5; ++i) {
        const auto at = out.find("item " + std::to_string(i) + " q=-", pos);
        EXPECT_NE(at, std::string::npos) << i;
        pos = at;
    }
    EXPECT_GT(out.find("abc", pos), pos);
    EXPECT_EQ(out.substr(out.size() - 5), "hello");
    r.srv.close();
    co_await r.srv.wait_closed();
    EXPECT_EQ(r.srv.stats().connections_total, 1u);
    EXPECT_EQ(r.srv.stats().requests, 7u);
}

WEFT_CO_TEST(http_server, chunked_request_body_with_extensions_and_trailers) {
    running r;
    co_await r.srv.listen("127.0.0.1", 0);
    const std::string out = co_await exchange(
        r.srv.port(),
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n4;a=b\r\nweft\r\n6\r\n rocks\r\n0\r\nX-T: 1\r\n\r\n");
    EXPECT_EQ(first_line(out), "HTTP/1.1 200 OK");
    EXPECT_EQ(out.substr(out.find("\r\n\r\n") + 4), "weft rocks");
    r.srv.close();
    co_await r.srv.wait_closed();
}

WEFT_CO_TEST(http_server, malformed_requests_get_their_exact_status) {
    server_options o;
    o.max_request_line = 256;
    o.max_header_bytes = 2048;
    o.max_body_size = 1000;
    running r(o);
    co_await r.srv.listen("127.0.0.1", 0);
    const std::uint16_t port = r.srv.port();
    struct expectation {
        std::string request;
        std::string status_line;
    };
    const expectation cases[] = {
        {"GARBAGE\r\n\r\n", "HTTP/1.1 400 Bad Request"},
        {"GET /hello HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request"}, // no Host
        {"GET /hello HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n", "HTTP/1.1 400 Bad Request"},
        {"GET /hello HTTP/3.0\r\nHost: t\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported"},
        {"GET /" + std::string(300, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n",
         "HTTP/1.1 414 URI Too Long"},
        {"GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(3000, 'b') + "\r\n\r\n",
         "HTTP/1.1 431 Request Header Fields Too Large"},
        {"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n",
         "HTTP/1.1 413 Content Too Large"},
        {"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
         "HTTP/1.1 400 Bad Request"},
        {"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcdefg\r\n",
         "HTTP/1.1 400 Bad Request"},
        {"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
             std::string(0x800, 'c') + "\r\n0\r\n\r\n",
         "HTTP/1.1 413 Content Too Large"},
        {"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
         "HTTP/1.1 501 Not Implemented"},
        {"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc",
         "HTTP/1.1 400 Bad Request"},
    };
    for (const expectation& e : cases) {
        const std::string out = co_await exchange(port, e.request);
        EXPECT_EQ(first_line(out), e.status_line) << e.request.substr(0, 60);
        EXPECT_NE(out.find("\r\nConnection: close\r\n"), std::string::npos);
    }
    // A good request on a fresh connection still works: the server survived all of them.
    const std::string ok =
        co_await exchange(port, "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(first_line(ok), "HTTP/1.1 200 OK");
    r.srv.close();
    co_await r.srv.wait_closed();
    const weft::http::server_stats s = r.srv.stats();
    EXPECT_EQ(s.bad_requests, 7u);
    EXPECT_EQ(s.too_large, 4u);
    EXPECT_EQ(s.not_implemented, 1u);
    EXPECT_EQ(s.connections_open, 0u);
}

WEFT_CO_TEST(http_server, slowloris_gets_408_and_idle_connections_are_closed) {
    server_options o;
    o.header_timeout = 300ms;
    o.idle_timeout = 300ms;
    o.body_timeout = 300ms;
    running r(o);
    co_await r.srv.listen("127.0.0.1", 0);
    const std::uint16_t port = r.srv.port();
    const auto t0 = std::chrono::steady_clock::now();
    // A head that never ends.
    std::string out = co_await exchange(port, "GET /hello HTTP/1.1\r\nHost: t\r\nX-Slow: ");
    EXPECT_EQ(first_line(out), "HTTP/1.1 408 Request Timeout");
    // A body that never comes.
    out = co_await exchange(port, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nab");
    EXPECT_EQ(first_line(out), "HTTP/1.1 408 Request Timeout");
    // A connection that sends nothing is closed without a response.
    out = co_await exchange(port, "");
    EXPECT_EQ(out, "");
    // After a complete request the connection idles, then is closed.
    out = co_await exchange(port, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    EXPECT_EQ(first_line(out), "HTTP/1.1 200 OK");
    EXPECT_EQ(count(out, "HTTP/1.1"), 1u);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 20s);
    r.srv.close();
    co_await r.srv.wait_closed();
    EXPECT_EQ(r.srv.stats().timeouts, 4u);
}

WEFT_CO_TEST(http_server, streamed_response_is_chunked) {
    running r;
    co_await r.srv.listen("127.0.0.1", 0);
    const std::string out = co_await exchange(
        r.srv.port(), "GET /stream HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(first_line(out), "HTTP/1.1 200 OK");
    EXPECT_NE(out.find("\r\nTransfer-Encoding: chunked\r\n"), std::string::npos);
    EXPECT_EQ(count(out, "\r\n3e8\r\n"), 100u); // 1000 bytes each
    EXPECT_EQ(out.substr(out.size() - 5), "0\r\n\r\n");
    // An HTTP/1.0 client gets the raw body ended by the close.
    const std::string old = co_await exchange(r.srv.port(), "GET /stream HTTP/1.0\r\n\r\n");
    EXPECT_EQ(old.find("Transfer-Encoding"), std::string::npos);
    EXPECT_EQ(old.size() - (old.find("\r\n\r\n") + 4), 100'000u);
    r.srv.close();
    co_await r.srv.wait_closed();
}

WEFT_CO_TEST(http_server, handler_errors_answer_500_and_blocking_calls_leave_the_loop) {
    running r;
    co_await r.srv.listen("127.0.0.1", 0);
    std::string out = co_await exchange(
        r.srv.port(), "GET /boom HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(first_line(out), "HTTP/1.1 500 Internal Server Error");
#if !defined(__SANITIZE_THREAD__)
    out = co_await exchange(r.srv.port(),
                            "GET /blocking HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(out.substr(out.find("\r\n\r\n") + 4), "offloaded");
#endif
    r.srv.close();
    co_await r.srv.wait_closed();
    EXPECT_EQ(r.srv.stats().handler_errors, 1u);
}

WEFT_CO_TEST(http_server, curl_reuses_the_connection_and_uploads_chunked_and_with_100_continue) {
    running r;
    co_await r.srv.listen("127.0.0.1", 0);
    // Keep-alive: two URLs on one curl command, one connection.
    command_result c =
        co_await run_command_async("curl -s -w ' %{http_code} %{num_connects}\\n' " +
                                   url(r.srv, "/items/1") + " " + url(r.srv, "/items/2?q=two"));
    EXPECT_EQ(c.exit_code, 0);
    EXPECT_EQ(c.out, "item 1 q=- 200 1\nitem 2 q=two 200 0\n");
    EXPECT_EQ(r.srv.stats().connections_total, 1u);

    // Chunked upload.
    std::string payload;
    for (int i = 0; i < 20000; ++i) {
        payload += static_cast<char>('a' + i % 26);
    }
    const std::string file = write_temp_file("upload", payload);
    c = co_await run_command_async("curl -s -H 'Transfer-Encoding: chunked' --data-binary @" +
                                   file + " " + url(r.srv, "/echo"));
    EXPECT_EQ(c.exit_code, 0);
    EXPECT_TRUE(c.out == payload) << "echoed " << c.out.size() << " bytes";

    // Expect: 100-continue: curl waits for the interim response before sending the body.
    c = co_await run_command_async("curl -s -v -H 'Expect: 100-continue' --data-binary @" + file +
                                   " " + url(r.srv, "/echo") + " -o /dev/null 2>&1");
    EXPECT_EQ(c.exit_code, 0);
    EXPECT_NE(c.out.find("< HTTP/1.1 100 Continue"), std::string::npos) << c.out;
    EXPECT_NE(c.out.find("< X-Body-Length: 20000"), std::string::npos) << c.out;
    std::remove(file.c_str());

    // HEAD through curl, and the streamed body.
    c = co_await run_command_async("curl -s -I " + url(r.srv, "/hello"));
    EXPECT_NE(c.out.find("Content-Length: 5"), std::string::npos) << c.out;
    c = co_await run_command_async("curl -s " + url(r.srv, "/stream") + " | wc -c");
    EXPECT_EQ(c.out, "100000\n");
    r.srv.close();
    co_await r.srv.wait_closed();
}

WEFT_CO_TEST(http_server, python_http_client_keeps_alive) {
    running r;
    co_await r.srv.listen("127.0.0.1", 0);
    const std::string script = write_temp_file("client.py", R"(
import http.client, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
for path in ("/hello", "/items/5?q=py", "/missing"):
    conn.request("GET", path)
    resp = conn.getresponse()
    print(resp.status, resp.read().decode())
conn.request("POST", "/echo", body=b"x" * 70000, headers={"Content-Type": "application/octet-stream"})
resp = conn.getresponse()
print(resp.status, len(resp.read()), resp.getheader("X-Body-Length"))
conn.request("HEAD", "/hello")
resp = conn.getresponse()
print(resp.status, resp.getheader("Content-Length"), len(resp.read()))
conn.close()
)");
    const command_result c = co_await run_command_async("/usr/bin/python3 " + script + " " +
                                                        std::to_string(r.srv.port()));
    std::remove(script.c_str());
    EXPECT_EQ(c.exit_code, 0);
    EXPECT_EQ(c.out, "200 hello\n200 item 5 q=py\n404 Not Found\n\n200 70000 70000\n200 5 0\n");
    r.srv.close();
    co_await r.srv.wait_closed();
    EXPECT_EQ(r.srv.stats().connections_total, 1u);
    EXPECT_EQ(r.srv.stats().requests, 5u);
}

WEFT_CO_TEST(http_server, close_ends_idle_keep_alive_connections) {
    running r;
    co_await r.srv.listen("127.0.0.1", 0);
    weft::net::connection c = co_await weft::net::connection::connect("127.0.0.1", r.srv.port());
    const std::string req = "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n";
    co_await c.write_all(std::span<const char>(req.data(), req.size()));
    std::string out;
    const bool answered = co_await read_until_seen(c, out, "hello");
    WEFT_CO_ASSERT_TRUE(answered);
    // The connection now idles in keep-alive; closing the server ends it promptly.
    r.srv.close();
    char buf[4096];
    const std::size_t n = co_await weft::wait_for(c.read_some(std::span<char>(buf)), 10s);
    EXPECT_EQ(n, 0u);
    co_await r.srv.wait_closed(5s);
    EXPECT_EQ(r.srv.stats().connections_open, 0u);
}

WEFT_CO_TEST(http_server, route_patterns_are_checked) {
    server srv;
    auto h = [](request&) -> weft::task<server_response> { co_return server_response{}; };
    EXPECT_THROW(srv.route("GET", "items", h), weft::error);
    EXPECT_THROW(srv.route("GET", "/items/{id", h), weft::error);
    EXPECT_THROW(srv.route("GET", "/items/x{id}", h), weft::error);
    EXPECT_THROW(srv.route("GET", "/items/{}", h), weft::error);
    EXPECT_NO_THROW(srv.route("GET", "/items/{id}", h));
    co_return;
}

// Two loops: connections spread over both acceptors, each served on its own loop.
WEFT_CO_TEST_LOOPS(http_server, serves_from_every_loop, 2) {
    server srv;
    std::atomic<int> requests{0};
    srv.route("GET", "/n", [&requests](request&) -> weft::task<server_response> {
        requests.fetch_add(1, std::memory_order_relaxed);
        co_return server_response::text("n");
    });
    co_await srv.listen("127.0.0.1", 0);
    const std::string script = write_temp_file("parallel.py", R"(
import http.client, sys, threading
ok = []
def worker():
    conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
    for _ in range(20):
        conn.request("GET", "/n")
        r = conn.getresponse()
        ok.append(r.status == 200 and r.read() == b"n")
    conn.close()
ts = [threading.Thread(target=worker) for _ in range(16)]
[t.start() for t in ts]
[t.join() for t in ts]
print(sum(ok))
)");
    const command_result c =
        co_await run_command_async("/usr/bin/python3 " + script + " " + std::to_string(srv.port()));
    std::remove(script.c_str());
    EXPECT_EQ(c.out, "320\n");
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(requests.load(), 320);
    EXPECT_EQ(srv.stats().connections_total, 16u);
    EXPECT_EQ(srv.stats().connections_open, 0u);
}

WEFT_CO_TEST(http_server, access_log_goes_to_the_weft_http_logger_at_info) {
    spdlog::logger& log = weft::log::get("weft.http");
    std::ostringstream lines;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(lines);
    const auto level = log.level();
    log.sinks().push_back(sink);
    log.set_level(spdlog::level::info);
    running r;
    co_await r.srv.listen("127.0.0.1", 0);
    const std::string out = co_await exchange(
        r.srv.port(), "GET /items/9?q=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    r.srv.close();
    co_await r.srv.wait_closed();
    log.sinks().pop_back();
    log.set_level(level);
    EXPECT_EQ(first_line(out), "HTTP/1.1 200 OK");
    EXPECT_NE(lines.str().find("127.0.0.1:"), std::string::npos) << lines.str();
    EXPECT_NE(lines.str().find("\"GET /items/9?q=1 HTTP/1.1\" 200 10"), std::string::npos)
        << lines.str();
}

WEFT_CO_TEST(http_server, connection_header_rules_and_request_limit_per_connection) {
    server_options o;
    o.max_requests_per_connection = 2;
    running r(o);
    co_await r.srv.listen("127.0.0.1", 0);
    // The second answer closes the connection: the third request is never answered.
    std::string out = co_await exchange(r.srv.port(), "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
                                                      "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
                                                      "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    EXPECT_EQ(count(out, "HTTP/1.1 200 OK"), 2u);
    EXPECT_EQ(count(out, "Connection: close"), 1u);
    // HTTP/1.0 with keep-alive is answered with keep-alive, and without it the server closes.
    out = co_await exchange(r.srv.port(), "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                                          "GET /hello HTTP/1.0\r\n\r\n");
    EXPECT_EQ(count(out, "HTTP/1.1 200 OK"), 2u);
    EXPECT_EQ(count(out, "Connection: keep-alive\r\n"), 1u);
    EXPECT_EQ(count(out, "Connection: close\r\n"), 1u);
    r.srv.close();
    co_await r.srv.wait_closed();
}
