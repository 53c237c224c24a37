// The HTTP server's middleware (server::use()), error pages (on_not_found(),
// on_method_not_allowed(), on_error()), request::route() and the access log's two formats,
// against raw requests on 127.0.0.1.

#include "access_log.hpp"
#include "http_test.hpp"

#include <weft/net/http/server.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/log.hpp>
#include <weft/testing/co_test.hpp>

#include <gtest/gtest.h>
#if __has_include(<nlohmann/json.hpp>)
#include <nlohmann/json.hpp>
#define WEFT_TEST_HAVE_JSON 1
#endif
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <memory>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using weft::http::next;
using weft::http::request;
using weft::http::server;
using weft::http::server_options;
using weft::http::server_response;
using namespace weft::testing::http;

namespace {

using trace = std::vector<std::string>;

void add_routes(server& srv) {
    srv.route("GET", "/items/{id}", [](request& req) -> weft::task<server_response> {
        co_return server_response::text("item " + std::string(req.param("id")) + " route " +
                                        std::string(req.route()));
    });
    srv.route("POST", "/items/{id}", [](request&) -> weft::task<server_response> {
        co_return server_response(201, "stored");
    });
    srv.route("GET", "/boom", [](request&) -> weft::task<server_response> {
        throw std::runtime_error("handler failure");
        co_return server_response{};
    });
    srv.route("GET", "/stream", [](request&) -> weft::task<server_response> {
        co_return server_response::stream([](weft::http::body_writer& w) -> weft::task<void> {
            for (int i = 0; i < 10; ++i) {
                co_await w.write(std::string(100, static_cast<char>('a' + i)));
            }
        });
    });
}

// A middleware that records its name on the way in and out, and adds a header on the way out.
weft::http::middleware tracer(std::string name, trace& t) {
    return [name, &t](request& req, next nx) -> weft::task<server_response> {
        t.push_back(name + ">");
        server_response r = co_await nx(req);
        t.push_back("<" + name);
        r.headers().add("X-Trace", name);
        co_return r;
    };
}

std::string get(std::string_view path, std::string_view extra = {}) {
    return "GET " + std::string(path) + " HTTP/1.1\r\nHost: t\r\n" + std::string(extra) +
           "Connection: close\r\n\r\n";
}

std::string body_of(const std::string& out) {
    const auto at = out.find("\r\n\r\n");
    return at == std::string::npos ? std::string() : out.substr(at + 4);
}

bool has(const std::string& out, std::string_view field) {
    return out.find("\r\n" + std::string(field) + "\r\n") != std::string::npos;
}

// Captures the "weft.http" logger's lines at info (the message alone) while it lives.
struct captured_log {
    spdlog::logger& log = weft::log::get("weft.http");
    std::ostringstream lines;
    std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink =
        std::make_shared<spdlog::sinks::ostream_sink_mt>(lines);
    spdlog::level::level_enum level = log.level();

    captured_log() {
        sink->set_pattern("%v");
        log.sinks().push_back(sink);
        log.set_level(spdlog::level::info);
    }
    ~captured_log() {
        log.sinks().pop_back();
        log.set_level(level);
    }
    // The captured lines that start with prefix.
    std::vector<std::string> starting_with(std::string_view prefix) const {
        std::vector<std::string> out;
        std::istringstream in(lines.str());
        for (std::string line; std::getline(in, line);) {
            if (line.rfind(prefix, 0) == 0) {
                out.push_back(line);
            }
        }
        return out;
    }
};

} // namespace

WEFT_CO_TEST(http_middleware, runs_in_the_order_added_the_first_outermost) {
    trace t;
    server srv;
    add_routes(srv);
    srv.use(tracer("a", t)).use(tracer("b", t)).use(tracer("c", t));
    co_await srv.listen("127.0.0.1", 0);
    const std::string out = co_await exchange(srv.port(), get("/items/7"));
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(first_line(out), "HTTP/1.1 200 OK");
    EXPECT_EQ(body_of(out), "item 7 route /items/{id}");
    EXPECT_EQ(t, (trace{"a>", "b>", "c>", "<c", "<b", "<a"}));
    // Each added its header on the way out: the innermost first.
    const auto c = out.find("X-Trace: c"), b = out.find("X-Trace: b"), a = out.find("X-Trace: a");
    WEFT_CO_ASSERT_NE(a, std::string::npos);
    EXPECT_LT(c, b);
    EXPECT_LT(b, a);
}

WEFT_CO_TEST(http_middleware, short_circuits_before_the_router) {
    int handled = 0;
    server srv;
    srv.route("GET", "/private", [&handled](request&) -> weft::task<server_response> {
        ++handled;
        co_return server_response::text("secret");
    });
    srv.use([](request& req, next nx) -> weft::task<server_response> {
        if (req.header("authorization") != "Bearer good") {
            server_response r = server_response::json(R"({"error":"unauthorized"})", 401);
            r.set_header("WWW-Authenticate", "Bearer");
            co_return r;
        }
        co_return co_await nx(req);
    });
    co_await srv.listen("127.0.0.1", 0);
    std::string out = co_await exchange(srv.port(), get("/private"));
    EXPECT_EQ(first_line(out), "HTTP/1.1 401 Unauthorized");
    EXPECT_TRUE(has(out, "WWW-Authenticate: Bearer")) << out;
    EXPECT_EQ(body_of(out), R"({"error":"unauthorized"})");
    // Refused before the router: a path without a route is refused too, and not counted 404.
    out = co_await exchange(srv.port(), get("/nothing"));
    EXPECT_EQ(first_line(out), "HTTP/1.1 401 Unauthorized");
    EXPECT_EQ(handled, 0);
    out = co_await exchange(srv.port(), get("/private", "Authorization: Bearer good\r\n"));
    EXPECT_EQ(body_of(out), "secret");
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(handled, 1);
    EXPECT_EQ(srv.stats().not_found, 0u);
    EXPECT_EQ(srv.stats().requests, 3u);
}

WEFT_CO_TEST(http_middleware, changes_the_status_headers_and_body) {
    server srv;
    add_routes(srv);
    srv.use([](request& req, next nx) -> weft::task<server_response> {
        server_response r = co_await nx(req);
        r.set_status(202);
        r.set_header("X-Changed", "yes");
        r.set_body("<" + r.body() + ">");
        co_return r;
    });
    co_await srv.listen("127.0.0.1", 0);
    const std::string out = co_await exchange(srv.port(), get("/items/3"));
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(first_line(out), "HTTP/1.1 202 Accepted");
    EXPECT_TRUE(has(out, "X-Changed: yes")) << out;
    EXPECT_TRUE(has(out, "Content-Length: 26")) << out;
    EXPECT_EQ(body_of(out), "<item 3 route /items/{id}>");
}

WEFT_CO_TEST(http_middleware, cors_sees_404_and_405_and_answers_a_preflight) {
    server srv;
    add_routes(srv);
    srv.use([](request& req, next nx) -> weft::task<server_response> {
        const auto origin = req.header("origin");
        if (req.method() == "OPTIONS" && origin && req.header("access-control-request-method")) {
            server_response r(204);
            r.set_header("Access-Control-Allow-Origin", std::string(*origin));
            r.set_header("Access-Control-Allow-Methods", "GET, POST");
            co_return r;
        }
        server_response r = co_await nx(req);
        if (origin) {
            r.set_header("Access-Control-Allow-Origin", std::string(*origin));
        }
        co_return r;
    });
    co_await srv.listen("127.0.0.1", 0);
    const std::uint16_t port = srv.port();
    std::string out = co_await exchange(
        port, "OPTIONS /items/1 HTTP/1.1\r\nHost: t\r\nOrigin: https://app.example\r\n"
              "Access-Control-Request-Method: POST\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(first_line(out), "HTTP/1.1 204 No Content");
    EXPECT_TRUE(has(out, "Access-Control-Allow-Origin: https://app.example")) << out;
    EXPECT_TRUE(has(out, "Access-Control-Allow-Methods: GET, POST")) << out;
    // A plain OPTIONS passes to the router: 405 with Allow, and the middleware's header.
    out = co_await exchange(port, "OPTIONS /items/1 HTTP/1.1\r\nHost: t\r\nOrigin: https://o\r\n"
                                  "Connection: close\r\n\r\n");
    EXPECT_EQ(first_line(out), "HTTP/1.1 405 Method Not Allowed");
    EXPECT_TRUE(has(out, "Allow: GET, HEAD, POST")) << out;
    EXPECT_TRUE(has(out, "Access-Control-Allow-Origin: https://o")) << out;
    out = co_await exchange(port, get("/nothing", "Origin: https://o\r\n"));
    EXPECT_EQ(first_line(out), "HTTP/1.1 404 Not Found");
    EXPECT_TRUE(has(out, "Access-Control-Allow-Origin: https://o")) << out;
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().not_found, 1u);
    EXPECT_EQ(srv.stats().method_not_allowed, 1u); // the preflight never reached the router
}

WEFT_CO_TEST(http_middleware, a_throwing_middleware_is_answered_as_a_throwing_handler) {
    server srv;
    add_routes(srv);
    trace t;
    srv.use(tracer("outer", t));
    srv.use([](request& req, next nx) -> weft::task<server_response> {
        if (req.path() == "/items/13") {
            throw std::runtime_error("unlucky");
        }
        co_return co_await nx(req);
    });
    co_await srv.listen("127.0.0.1", 0);
    std::string out = co_await exchange(srv.port(), get("/items/13"));
    EXPECT_EQ(first_line(out), "HTTP/1.1 500 Internal Server Error");
    // The outer middleware's co_await next() threw: it added no header.
    EXPECT_EQ(out.find("X-Trace"), std::string::npos) << out;
    EXPECT_EQ(t, (trace{"outer>"}));
    // A handler's exception is a 500 response by the time the middlewares see it.
    out = co_await exchange(srv.port(), get("/boom"));
    EXPECT_EQ(first_line(out), "HTTP/1.1 500 Internal Server Error");
    EXPECT_TRUE(has(out, "X-Trace: outer")) << out;
    // The connection goes on after either.
    out = co_await exchange(srv.port(),
                            "GET /items/13 HTTP/1.1\r\nHost: t\r\n\r\n" + get("/items/1"));
    EXPECT_EQ(count(out, "HTTP/1.1 500"), 1u);
    EXPECT_EQ(count(out, "HTTP/1.1 200 OK"), 1u);
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().handler_errors, 3u);
}

WEFT_CO_TEST(http_middleware, an_outer_middleware_may_catch_an_inner_ones_exception) {
    server srv;
    add_routes(srv);
    srv.use([](request& req, next nx) -> weft::task<server_response> {
        try {
            co_return co_await nx(req);
        } catch (const std::invalid_argument& e) {
            co_return server_response::json(std::string(R"({"error":")") + e.what() + "\"}", 400);
        }
    });
    srv.use([](request&, next) -> weft::task<server_response> {
        throw std::invalid_argument("bad input");
        co_return server_response{};
    });
    co_await srv.listen("127.0.0.1", 0);
    const std::string out = co_await exchange(srv.port(), get("/items/1"));
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(first_line(out), "HTTP/1.1 400 Bad Request");
    EXPECT_EQ(body_of(out), R"({"error":"bad input"})");
    EXPECT_EQ(srv.stats().handler_errors, 0u);
}

WEFT_CO_TEST(http_middleware, error_pages_answer_json_for_404_405_and_500) {
    server srv;
    add_routes(srv);
    srv.on_not_found([](request& req) -> weft::task<server_response> {
        co_return server_response::json(
            R"({"error":"not found","path":")" + std::string(req.path()) + "\"}", 404);
    });
    srv.on_method_not_allowed([](request&, std::string_view allow) -> weft::task<server_response> {
        server_response r = server_response::json(
            R"({"error":"method not allowed","allow":")" + std::string(allow) + "\"}", 405);
        r.set_header("Allow", "wrong"); // the server's Allow wins
        co_return r;
    });
    srv.on_error([](request&, std::exception_ptr e) -> weft::task<server_response> {
        std::string what;
        try {
            std::rethrow_exception(e);
        } catch (const std::runtime_error& x) {
            what = x.what();
        }
        co_return server_response::json(R"({"error":")" + what + "\"}", 500);
    });
    co_await srv.listen("127.0.0.1", 0);
    const std::uint16_t port = srv.port();
    std::string out = co_await exchange(port, get("/nothing"));
    EXPECT_EQ(first_line(out), "HTTP/1.1 404 Not Found");
    EXPECT_TRUE(has(out, "Content-Type: application/json")) << out;
    EXPECT_EQ(body_of(out), R"({"error":"not found","path":"/nothing"})");
    out =
        co_await exchange(port, "DELETE /items/1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(first_line(out), "HTTP/1.1 405 Method Not Allowed");
    EXPECT_TRUE(has(out, "Allow: GET, HEAD, POST")) << out;
    EXPECT_EQ(count(out, "Allow:"), 1u) << out;
    EXPECT_EQ(body_of(out), R"({"error":"method not allowed","allow":"GET, HEAD, POST"})");
    out = co_await exchange(port, get("/boom"));
    EXPECT_EQ(first_line(out), "HTTP/1.1 500 Internal Server Error");
    EXPECT_EQ(body_of(out), R"({"error":"handler failure"})");
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().not_found, 1u);
    EXPECT_EQ(srv.stats().method_not_allowed, 1u);
    EXPECT_EQ(srv.stats().handler_errors, 1u);
}

WEFT_CO_TEST(http_middleware, error_pages_pass_through_middleware) {
    trace t;
    server srv;
    add_routes(srv);
    srv.use(tracer("m", t));
    srv.on_not_found([](request&) -> weft::task<server_response> {
        co_return server_response::json(R"({"error":"not found"})", 404);
    });
    co_await srv.listen("127.0.0.1", 0);
    // Pipelined on one connection: a 404 page, then a route.
    const std::string out =
        co_await exchange(srv.port(), "GET /none HTTP/1.1\r\nHost: t\r\n\r\n" + get("/items/2"));
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(count(out, "HTTP/1.1 404 Not Found"), 1u) << out;
    EXPECT_EQ(count(out, R"({"error":"not found"})"), 1u) << out;
    EXPECT_EQ(count(out, "X-Trace: m"), 2u) << out;
    EXPECT_EQ(t, (trace{"m>", "<m", "m>", "<m"}));
}

WEFT_CO_TEST(http_middleware, an_error_page_that_throws_gets_the_plain_500) {
    server srv;
    add_routes(srv);
    srv.on_error([](request&, std::exception_ptr) -> weft::task<server_response> {
        throw std::logic_error("error page failure");
        co_return server_response{};
    });
    co_await srv.listen("127.0.0.1", 0);
    const std::string out = co_await exchange(srv.port(), get("/boom"));
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(first_line(out), "HTTP/1.1 500 Internal Server Error");
    EXPECT_EQ(body_of(out), "Internal Server Error\n");
    EXPECT_EQ(srv.stats().handler_errors, 1u);
}

WEFT_CO_TEST(http_middleware, route_is_the_matched_pattern_after_next) {
    std::vector<std::string> seen;
    server srv;
    add_routes(srv);
    srv.use([&seen](request& req, next nx) -> weft::task<server_response> {
        seen.push_back("before=" + std::string(req.route()));
        server_response r = co_await nx(req);
        seen.push_back("after=" + std::string(req.route()));
        co_return r;
    });
    co_await srv.listen("127.0.0.1", 0);
    // Two requests on one connection: the first's route does not leak into the second.
    const std::string out = co_await exchange(
        srv.port(), "GET /items/5 HTTP/1.1\r\nHost: t\r\n\r\n" + get("/nothing/5"));
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(count(out, "item 5 route /items/{id}"), 1u) << out;
    EXPECT_EQ(seen,
              (std::vector<std::string>{"before=", "after=/items/{id}", "before=", "after="}));
}

WEFT_CO_TEST(http_middleware, route_is_set_without_middleware_too) {
    server srv;
    add_routes(srv);
    co_await srv.listen("127.0.0.1", 0);
    const std::string out = co_await exchange(srv.port(), get("/items/x"));
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(body_of(out), "item x route /items/{id}");
}

WEFT_CO_TEST(http_middleware, a_streamed_response_passes_through) {
    server srv;
    add_routes(srv);
    bool streamed = false;
    srv.use([&streamed](request& req, next nx) -> weft::task<server_response> {
        server_response r = co_await nx(req);
        streamed = r.is_streamed();
        r.set_header("X-Seen", "1");
        co_return r;
    });
    co_await srv.listen("127.0.0.1", 0);
    const std::string out = co_await exchange(srv.port(), get("/stream"));
    srv.close();
    co_await srv.wait_closed();
    EXPECT_TRUE(streamed);
    EXPECT_EQ(first_line(out), "HTTP/1.1 200 OK");
    EXPECT_TRUE(has(out, "X-Seen: 1")) << out;
    EXPECT_TRUE(has(out, "Transfer-Encoding: chunked")) << out;
    // Ten chunks of 100 bytes ("64" in hex), then the last chunk.
    EXPECT_EQ(count(out, "\r\n64\r\n"), 10u) << out;
    EXPECT_EQ(out.find(std::string(100, 'j')) != std::string::npos, true);
    EXPECT_EQ(out.substr(out.size() - 5), "0\r\n\r\n");
}

WEFT_CO_TEST(http_middleware, parser_errors_bypass_middleware) {
    int calls = 0;
    server srv;
    add_routes(srv);
    srv.use([&calls](request& req, next nx) -> weft::task<server_response> {
        ++calls;
        co_return co_await nx(req);
    });
    co_await srv.listen("127.0.0.1", 0);
    const std::string out = co_await exchange(srv.port(), "GET /items/1 HTTP/1.1\n\n");
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(first_line(out), "HTTP/1.1 400 Bad Request");
    EXPECT_EQ(calls, 0);
}

WEFT_CO_TEST(http_middleware, setup_is_refused_after_listen_and_for_an_empty_middleware) {
    server srv;
    EXPECT_THROW(srv.use(weft::http::middleware{}), weft::error);
    co_await srv.listen("127.0.0.1", 0);
    EXPECT_THROW(srv.use([](request& req, next nx) { return nx(req); }), weft::error);
    EXPECT_THROW(srv.on_not_found(
                     [](request&) -> weft::task<server_response> { co_return server_response{}; }),
                 weft::error);
    EXPECT_THROW(srv.on_error([](request&, std::exception_ptr) -> weft::task<server_response> {
        co_return server_response{};
    }),
                 weft::error);
    srv.close();
    co_await srv.wait_closed();
}

WEFT_CO_TEST(http_access_log, text_lines_have_peer_request_status_bytes_and_duration) {
    captured_log cap;
    server srv;
    add_routes(srv);
    co_await srv.listen("127.0.0.1", 0);
    co_await exchange(srv.port(),
                      "GET /items/7?q=1 HTTP/1.1\r\nHost: t\r\n\r\n" + get("/nothing") + "");
    co_await exchange(srv.port(), get("/stream"));
    srv.close();
    co_await srv.wait_closed();
    const std::vector<std::string> lines = cap.starting_with("127.0.0.1:");
    WEFT_CO_ASSERT_EQ(lines.size(), 3u) << cap.lines.str();
    const std::regex line(R"re(127\.0\.0\.1:\d+ "(\S+ \S+) HTTP/1\.1" (\d+) (\d+) \d+\.\d{3}ms)re");
    std::smatch m;
    WEFT_CO_ASSERT_TRUE(std::regex_match(lines[0], m, line)) << lines[0];
    EXPECT_EQ(m[1], "GET /items/7?q=1");
    EXPECT_EQ(m[2], "200");
    EXPECT_EQ(m[3], "24"); // "item 7 route /items/{id}"
    WEFT_CO_ASSERT_TRUE(std::regex_match(lines[1], m, line)) << lines[1];
    EXPECT_EQ(m[2], "404");
    WEFT_CO_ASSERT_TRUE(std::regex_match(lines[2], m, line)) << lines[2];
    EXPECT_EQ(m[1], "GET /stream");
    EXPECT_EQ(m[3], "1000"); // the streamed body's bytes
}

WEFT_CO_TEST(http_access_log, a_quote_or_backslash_in_the_target_cannot_fake_a_text_field) {
    captured_log cap;
    server srv;
    add_routes(srv);
    co_await srv.listen("127.0.0.1", 0);
    // Visible ASCII the parser accepts in a target: without escaping, the line would read as a
    // request for "/items/a" with a status of 200 and a second quoted field.
    co_await exchange(srv.port(), get(R"(/items/a"_200_"b\c)"));
    srv.close();
    co_await srv.wait_closed();
    const std::vector<std::string> lines = cap.starting_with("127.0.0.1:");
    WEFT_CO_ASSERT_EQ(lines.size(), 1u) << cap.lines.str();
    EXPECT_NE(lines[0].find(R"("GET /items/a\x22_200_\x22b\x5Cc HTTP/1.1" 200 )"),
              std::string::npos)
        << lines[0];
    EXPECT_EQ(count(lines[0], "\""), 2u) << lines[0];
}

#if WEFT_TEST_HAVE_JSON
WEFT_CO_TEST(http_access_log, json_lines_are_valid_json_whatever_the_client_sent) {
    captured_log cap;
    server_options o;
    o.access_log = weft::http::access_log_format::json;
    server srv(o);
    add_routes(srv);
    co_await srv.listen("127.0.0.1", 0);
    // A target with a quote and a backslash (both visible ASCII, so accepted), a User-Agent with
    // a quote, a tab, bytes that are not UTF-8 and a valid two-byte sequence.
    co_await exchange(srv.port(),
                      get(R"(/items/a"b\c)", "User-Agent: x \"y\"\t\xff\xfe z \xc3\xa9\r\n"));
    co_await exchange(srv.port(), get("/nothing"));
    srv.close();
    co_await srv.wait_closed();
    const std::vector<std::string> lines = cap.starting_with("{");
    WEFT_CO_ASSERT_EQ(lines.size(), 2u) << cap.lines.str();
    const nlohmann::json first = nlohmann::json::parse(lines[0]);
    EXPECT_EQ(first["method"], "GET");
    EXPECT_EQ(first["target"], R"(/items/a"b\c)");
    EXPECT_EQ(first["version"], "1.1");
    EXPECT_EQ(first["route"], "/items/{id}");
    EXPECT_EQ(first["status"], 200);
    EXPECT_EQ(first["bytes"], std::string(R"(item a"b\c route /items/{id})").size());
    EXPECT_TRUE(first["duration_ms"].is_number()) << lines[0];
    EXPECT_GE(first["duration_ms"].get<double>(), 0.0);
    EXPECT_EQ(first["user_agent"], "x \"y\"\t\xef\xbf\xbd\xef\xbf\xbd z \xc3\xa9");
    EXPECT_EQ(first["remote"].get<std::string>().rfind("127.0.0.1:", 0), 0u);
    const nlohmann::json second = nlohmann::json::parse(lines[1]);
    EXPECT_EQ(second["status"], 404);
    EXPECT_EQ(second["route"], "");
    EXPECT_EQ(second["user_agent"], "");
}
#endif

WEFT_CO_TEST(http_access_log, nothing_is_written_below_info) {
    captured_log cap;
    cap.log.set_level(spdlog::level::warn);
    server srv;
    add_routes(srv);
    co_await srv.listen("127.0.0.1", 0);
    co_await exchange(srv.port(), get("/items/1"));
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(cap.lines.str(), "");
}

TEST(http_access_log, json_strings_escape_controls_and_replace_invalid_utf8) {
    const auto quoted = [](std::string_view s) {
        std::string out;
        weft::http::detail::append_json_string(out, s);
        return out;
    };
    EXPECT_EQ(quoted(""), R"("")");
    EXPECT_EQ(quoted("a\"b\\c/"), R"("a\"b\\c/")");
    EXPECT_EQ(quoted(std::string("\n\r\t\x01\x1f\x7f\0", 7)),
              R"("\n\r\t\u0001\u001f\u007f\u0000")");
    EXPECT_EQ(quoted("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
              "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    const std::string bad = R"("\ufffd")";
    EXPECT_EQ(quoted("\xff"), bad);
    EXPECT_EQ(quoted("\xc3"), bad);                                         // truncated at the end
    EXPECT_EQ(quoted("\xc0\x80"), R"("\ufffd\ufffd")");                     // overlong NUL
    EXPECT_EQ(quoted("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");           // a surrogate
    EXPECT_EQ(quoted("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")"); // past U+10FFFF
    EXPECT_EQ(quoted("\xe2\x82x"), R"("\ufffd\ufffdx")");
#if WEFT_TEST_HAVE_JSON
    // Whatever the bytes, the result parses as JSON and round-trips the valid parts.
    std::string all;
    for (int c = 0; c < 256; ++c) {
        all += static_cast<char>(c);
    }
    EXPECT_TRUE(nlohmann::json::parse(quoted(all)).is_string());
    EXPECT_EQ(nlohmann::json::parse(quoted("ok \"q\"")).get<std::string>(), "ok \"q\"");
#endif
}
