// An HTTP server on every core: routes with path parameters, a JSON answer, a streamed body, and
// a handler whose blocking call runs on the default executor so that its loop keeps serving.
//
//     09_http_server [PORT]      serve on 127.0.0.1:PORT (default 8080) until killed
//     09_http_server --self-test serve on a free port, query it, check the answers, stop
//
// The Python it corresponds to (aiohttp):
//
//     async def item(request):
//         return web.Response(text=f"item {request.match_info['id']}")
//     async def report(request):
//         text = await asyncio.to_thread(build_report, request.query.get("name", "all"))
//         return web.Response(text=text)
//     app = web.Application()
//     app.add_routes([web.get("/items/{id}", item), web.get("/report", report)])
//     web.run_app(app, port=8080)

#include "example.hpp"

#include <weft/net/connection.hpp>
#include <weft/net/http/server.hpp>
#include <weft/weft.hpp>

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>

using namespace std::chrono_literals;
using example::check;
using example::say;
using weft::http::request;
using weft::http::server_response;

/// A blocking computation (a stand-in for a database query or a file scan).
std::string build_report(const std::string& name) {
    std::this_thread::sleep_for(50ms);
    return "report for " + name + "\n";
}

void add_routes(weft::http::server& srv) {
    srv.route("GET", "/items/{id}", [](request& req) -> weft::task<server_response> {
        co_return server_response::text("item " + std::string(req.param("id")) + "\n");
    });
    srv.route("GET", "/report", [](request& req) -> weft::task<server_response> {
        // The one line that keeps a blocking call off the loop.
        std::string text =
            co_await weft::to_thread(build_report, req.query_param("name").value_or("all"));
        co_return server_response::text(std::move(text));
    });
    srv.route("POST", "/sum", [](request& req) -> weft::task<server_response> {
        long total = 0;
        for (const auto& [k, v] : req.query_params()) {
            total += std::strtol(v.c_str(), nullptr, 10);
        }
        co_return server_response::json("{\"sum\": " + std::to_string(total) +
                                        ", \"body_bytes\": " + std::to_string(req.body().size()) +
                                        "}");
    });
    srv.route("GET", "/count/{n}", [](request& req) -> weft::task<server_response> {
        const int n = std::atoi(std::string(req.param("n")).c_str());
        co_return server_response::stream(
            [n](weft::http::body_writer& out) -> weft::task<void> {
                for (int i = 1; i <= n; ++i) {
                    co_await out.write(std::to_string(i) + "\n");
                }
            },
            200, "text/plain");
    });
}

/// Sends one request and returns the body of the answer (the server closes after it).
weft::task<std::string> fetch(std::uint16_t port, std::string request_text) {
    weft::net::connection c = co_await weft::net::connection::connect("127.0.0.1", port);
    co_await c.write_all(std::span<const char>(request_text.data(), request_text.size()));
    std::string got;
    char buf[4096];
    for (;;) {
        const std::size_t n = co_await c.read_some(std::span<char>(buf));
        if (n == 0) {
            break;
        }
        got.append(buf, n);
    }
    const auto status_end = got.find("\r\n");
    const auto body_at = got.find("\r\n\r\n");
    say(got.substr(0, status_end));
    co_return body_at == std::string::npos ? std::string() : got.substr(body_at + 4);
}

weft::task<void> self_test() {
    weft::http::server srv;
    add_routes(srv);
    co_await srv.listen("127.0.0.1", 0);
    const std::uint16_t port = srv.port();
    const std::string close = "Host: example\r\nConnection: close\r\n\r\n";
    std::string body = co_await fetch(port, "GET /items/42 HTTP/1.1\r\n" + close);
    check(body == "item 42\n", "path parameter");
    body = co_await fetch(port, "GET /report?name=weft HTTP/1.1\r\n" + close);
    check(body == "report for weft\n", "offloaded report");
    body = co_await fetch(port,
                          "POST /sum?a=2&b=40 HTTP/1.1\r\nContent-Length: 3\r\n" + close + "abc");
    check(body == "{\"sum\": 42, \"body_bytes\": 3}", "json answer");
    body = co_await fetch(port, "GET /count/3 HTTP/1.1\r\n" + close);
    check(body == "2\r\n1\n\r\n2\r\n2\n\r\n2\r\n3\n\r\n0\r\n\r\n", "streamed (chunked) body");
    body = co_await fetch(port, "DELETE /items/42 HTTP/1.1\r\n" + close);
    srv.close();
    co_await srv.wait_closed();
    say("requests served: ", srv.stats().requests);
}

int main(int argc, char** argv) {
    const std::string_view arg = argc > 1 ? argv[1] : "";
    if (arg == "--self-test") {
        weft::run(self_test());
        example::check_transcript("HTTP/1.1 200 OK\n"
                                  "HTTP/1.1 200 OK\n"
                                  "HTTP/1.1 200 OK\n"
                                  "HTTP/1.1 200 OK\n"
                                  "HTTP/1.1 405 Method Not Allowed\n"
                                  "requests served: 5\n");
        return example::exit_status();
    }
    const auto port = static_cast<std::uint16_t>(arg.empty() ? 8080 : std::atoi(argv[1]));
    weft::run([port]() -> weft::task<void> {
        weft::http::server srv;
        add_routes(srv);
        say("serving on http://127.0.0.1:", port, "/items/1 (every core; Ctrl-C stops)");
        co_await srv.serve("127.0.0.1", port);
    }());
    return 0;
}
