// The request as views into the connection's read buffer (valid while the handler runs, across
// co_await, with pipelined requests behind it, and while a chunked body moves the buffer), and
// the response's inline Content-Type and borrowed body.

#include "http_test.hpp"

#include <weft/net/http/server.hpp>
#include <weft/runtime/future.hpp>
#include <weft/testing/co_test.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

using weft::http::request;
using weft::http::server;
using weft::http::server_response;
using namespace weft::testing::http;

namespace {

// Everything a handler can see of the request's head, as one line.
std::string describe(const request& req) {
    std::string s = std::string(req.method()) + " " + std::string(req.target()) +
                    " path=" + std::string(req.path()) + " query=" + std::string(req.query()) +
                    " id=" + std::string(req.header("X-Id").value_or("-")) +
                    " fields=" + std::to_string(req.headers().size());
    for (const std::string_view v : req.headers().get_all("x-rep")) {
        s += " rep=" + std::string(v);
    }
    return s;
}

// Reads from c until the text read so far holds n complete responses of the /hold route (each
// ends with a newline), bounded by 10 s per read.
weft::task<std::string> read_lines(weft::net::connection& c, std::size_t n) {
    std::string out;
    char buf[4096];
    while (count(out, "\n#") < n) {
        const std::size_t got =
            co_await weft::wait_for(c.read_some(std::span<char>(buf)), std::chrono::seconds(10));
        if (got == 0) {
            break;
        }
        out.append(buf, got);
    }
    co_return out;
}

} // namespace

WEFT_CO_TEST(http_server_views,
             handler_holds_the_request_across_co_await_while_pipelined_requests_arrive) {
    server srv;
    weft::promise<void> started;
    weft::future<void> started_f = started.get_future();
    weft::promise<void> release;
    weft::future<void> release_f = release.get_future();
    bool first = true;
    srv.route("GET", "/hold/{n}", [&](request& req) -> weft::task<server_response> {
        const std::string before = describe(req);
        if (first) {
            first = false;
            started.set_value();
            weft::future<void> wait = release_f;
            co_await wait; // the next requests arrive meanwhile
        }
        const std::string after = describe(req);
        co_return server_response::text(after + (before == after ? "" : " CHANGED from " + before) +
                                        "\n#");
    });
    co_await srv.listen("127.0.0.1", 0);
    weft::net::connection c = co_await weft::net::connection::connect("127.0.0.1", srv.port());
    // The first request and the start of the second in one write: both land in the server's
    // read buffer before the first handler runs.
    const std::string part1 = "GET /hold/1?a=1 HTTP/1.1\r\nHost: t\r\nX-Id: one\r\nX-Rep: a\r\n"
                              "X-Rep: b\r\n\r\nGET /hold/2?b=2 HTTP/1.1\r\nHo";
    co_await c.write_all(std::span<const char>(part1.data(), part1.size()));
    weft::future<void> s = started_f;
    co_await s;
    // While the first handler waits, the rest of the second request and a third one arrive.
    const std::string part2 = "st: t\r\nX-Id: two\r\n\r\nGET /hold/3 HTTP/1.1\r\nHost: t\r\n"
                              "X-Id: " +
                              std::string(3000, '3') + "\r\nConnection: close\r\n\r\n";
    co_await c.write_all(std::span<const char>(part2.data(), part2.size()));
    release.set_value();
    const std::string out = co_await read_lines(c, 3);
    EXPECT_EQ(count(out, "HTTP/1.1 200 OK"), 3u) << out;
    EXPECT_EQ(out.find("CHANGED"), std::string::npos) << out;
    const auto one =
        out.find("GET /hold/1?a=1 path=/hold/1 query=a=1 id=one fields=4 rep=a rep=b\n");
    const auto two = out.find("GET /hold/2?b=2 path=/hold/2 query=b=2 id=two fields=2\n");
    const auto three =
        out.find("GET /hold/3 path=/hold/3 query= id=" + std::string(3000, '3') + " fields=3\n");
    EXPECT_NE(one, std::string::npos) << out;
    EXPECT_NE(two, std::string::npos) << out;
    EXPECT_NE(three, std::string::npos) << out.substr(0, 400);
    EXPECT_LT(one, two);
    EXPECT_LT(two, three);
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().requests, 3u);
}

// A chunked body is read through the connection's buffer after the head: the head (which the
// request's views point into) must survive the buffer being compacted and grown.
WEFT_CO_TEST(http_server_views, a_chunked_body_keeps_the_heads_views_valid) {
    server srv;
    srv.route("POST", "/up/{name}", [](request& req) -> weft::task<server_response> {
        const std::string_view pad = req.header("X-Pad").value_or("");
        const bool pad_intact = pad.find_first_not_of('p') == std::string_view::npos;
        co_return server_response::text(
            std::string(req.param("name")) + " " + std::string(req.path()) + " " +
            std::string(req.header("X-Id").value_or("-")) + " pad=" + std::to_string(pad.size()) +
            (pad_intact ? "" : "(damaged)") + " body=" + std::to_string(req.body().size()) + "\n#");
    });
    srv.route("GET", "/small", [](request&) -> weft::task<server_response> {
        co_return server_response::text("small\n#");
    });
    co_await srv.listen("127.0.0.1", 0);

    std::string body_chunks;
    std::size_t body_size = 0;
    for (int i = 0; i < 40; ++i) {
        const std::string data(1000 + i, static_cast<char>('a' + i % 26));
        char size[16];
        std::snprintf(size, sizeof size, "%zx", data.size());
        body_chunks += std::string(size) + "\r\n" + data + "\r\n";
        body_size += data.size();
    }
    body_chunks += "0\r\n\r\n";
    // A 4000-byte head behind 300 small pipelined requests: the body's reads need room, and the
    // head moves to the front of the server's 16 KiB buffer. Then a head of exactly 16 KiB: the
    // buffer grows under it.
    const auto chunked_request = [&](std::size_t head_size, std::string_view id) {
        const std::string start = "POST /up/x%20y HTTP/1.1\r\nHost: t\r\nX-Id: " + std::string(id) +
                                  "\r\nTransfer-Encoding: chunked\r\nX-Pad: ";
        const std::size_t pad = head_size - start.size() - 4;
        return start + std::string(pad, 'p') + "\r\n\r\n" + body_chunks;
    };
    const std::string small = "GET /small HTTP/1.1\r\nHost: t\r\n\r\n";
    std::string payload;
    for (int i = 0; i < 300; ++i) {
        payload += small;
    }
    payload += chunked_request(4000, "moved") + chunked_request(16 * 1024, "grown") + small;
    weft::net::connection c = co_await weft::net::connection::connect("127.0.0.1", srv.port());
    co_await c.write_all(std::span<const char>(payload.data(), payload.size()));
    const std::string out = co_await read_lines(c, 303);
    EXPECT_EQ(count(out, "HTTP/1.1 200 OK"), 303u) << out.substr(0, 400);
    EXPECT_NE(out.find("x y /up/x%20y moved pad="), std::string::npos) << out;
    EXPECT_NE(out.find("x y /up/x%20y grown pad="), std::string::npos) << out;
    EXPECT_EQ(count(out, " body=" + std::to_string(body_size) + "\n"), 2u) << out;
    EXPECT_EQ(out.find("(damaged)"), std::string::npos) << out;
    EXPECT_EQ(count(out, "small\n#"), 301u);
    srv.close();
    co_await srv.wait_closed();
}

WEFT_CO_TEST(http_server_views, request_headers_lookups_and_owned_copies) {
    server srv;
    std::optional<weft::http::headers> kept;
    srv.route("GET", "/h", [&](request& req) -> weft::task<server_response> {
        kept = req.headers().to_headers();
        const weft::http::headers converted = req.headers(); // the implicit owned copy
        std::string s = std::string(req.headers().get_or("ACCEPT", "none")) + "|" +
                        std::string(req.headers().get_or("missing", "none")) + "|" +
                        (req.headers().contains("x-empty") ? "has-empty" : "no-empty") + "|" +
                        std::to_string(converted.size());
        for (const weft::http::header_view& f : req.headers()) {
            s += "|" + std::string(f.name) + "=" + std::string(f.value);
        }
        co_return server_response::text(s);
    });
    co_await srv.listen("127.0.0.1", 0);
    const std::string out = co_await exchange(
        srv.port(), "GET /h HTTP/1.1\r\nHost: t\r\naccept:  text/html \r\nX-Empty:\r\n"
                    "Connection: close\r\n\r\n");
    EXPECT_EQ(out.substr(out.find("\r\n\r\n") + 4),
              "text/html|none|has-empty|4|Host=t|accept=text/html|X-Empty=|Connection=close");
    srv.close();
    co_await srv.wait_closed();
    // The owned copy outlives the connection's buffer.
    WEFT_CO_ASSERT_TRUE(kept.has_value());
    EXPECT_EQ(kept->get_or("Accept", ""), "text/html");
    EXPECT_EQ(kept->size(), 4u);
}

TEST(http_server_views, response_content_type_is_a_header_when_asked_for) {
    server_response r = server_response::text("hi");
    EXPECT_EQ(r.headers().get_or("content-type", ""), "text/plain; charset=utf-8");
    r.set_header("X-A", "1");
    ASSERT_EQ(r.headers().size(), 2u);
    EXPECT_EQ(r.headers().begin()->name, "Content-Type");
    // set_header on a fresh response keeps the Content-Type first and replaces it by name.
    server_response j = server_response::json("{}");
    j.set_header("content-type", "application/problem+json");
    ASSERT_EQ(j.headers().size(), 1u);
    EXPECT_EQ(j.headers().get_or("Content-Type", ""), "application/problem+json");
    // A type longer than the inline room goes straight to the fields.
    const std::string long_type = "multipart/form-data; boundary=" + std::string(60, '-') + "weft";
    const server_response m(200, "x", long_type);
    EXPECT_EQ(m.headers().get_or("Content-Type", ""), long_type);
    // No body, no Content-Type; a streamed response keeps its own.
    EXPECT_TRUE(server_response(204).headers().empty());
    const server_response s = server_response::stream(
        [](weft::http::body_writer&) -> weft::task<void> { co_return; }, 200, "text/csv");
    EXPECT_EQ(s.headers().get_or("Content-Type", ""), "text/csv");
    // A copy carries the inline type.
    const server_response copy = server_response::text("copied");
    const server_response copy2 = copy; // NOLINT(performance-unnecessary-copy-initialization)
    EXPECT_EQ(copy2.headers().get_or("Content-Type", ""), "text/plain; charset=utf-8");
}

TEST(http_server_views, borrowed_body_is_copied_only_when_changed) {
    static const std::string data = "borrowed bytes";
    server_response r = server_response::borrowed(data, 202, "application/x-test");
    EXPECT_EQ(r.status(), 202);
    EXPECT_EQ(std::as_const(r).body(), data);
    r.body() += "!"; // now an owned copy
    EXPECT_EQ(r.body(), "borrowed bytes!");
    EXPECT_EQ(data, "borrowed bytes");
    EXPECT_EQ(r.headers().get_or("Content-Type", ""), "application/x-test");
    r.set_borrowed_body("other");
    EXPECT_EQ(r.body(), "other");
    r.set_body("owned");
    EXPECT_EQ(r.body(), "owned");
}

WEFT_CO_TEST(http_server_views, bodies_are_sent_whole_alone_and_pipelined) {
    server srv;
    static const std::string big(5000, 'B');
    static const std::string mid(300, 'M');
    srv.route("GET", "/big", [](request&) -> weft::task<server_response> {
        co_return server_response::borrowed(big);
    });
    srv.route("GET", "/mid", [](request&) -> weft::task<server_response> {
        co_return server_response::text(mid);
    });
    srv.route("GET", "/tiny", [](request&) -> weft::task<server_response> {
        co_return server_response::borrowed("t", 200, "");
    });
    co_await srv.listen("127.0.0.1", 0);
    // Alone (gathered write of head + body), then pipelined (copied behind the head).
    std::string out =
        co_await exchange(srv.port(), "GET /big HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(out.substr(out.find("\r\n\r\n") + 4), big);
    EXPECT_NE(out.find("\r\nContent-Length: 5000\r\n"), std::string::npos);
    EXPECT_NE(out.find("\r\nContent-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
    out =
        co_await exchange(srv.port(), "GET /big HTTP/1.1\r\nHost: t\r\n\r\n"
                                      "GET /mid HTTP/1.1\r\nHost: t\r\n\r\n"
                                      "GET /tiny HTTP/1.1\r\nHost: t\r\n\r\n"
                                      "HEAD /big HTTP/1.1\r\nHost: t\r\n\r\n"
                                      "GET /mid HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    std::vector<std::string> bodies;
    std::size_t pos = 0;
    while ((pos = out.find("Content-Length: ", pos)) != std::string::npos) {
        const std::size_t length = std::stoul(out.substr(pos + 16));
        const std::size_t start = out.find("\r\n\r\n", pos) + 4;
        const bool head = bodies.size() == 3;
        bodies.push_back(head ? std::string() : out.substr(start, length));
        pos = head ? start : start + length;
    }
    WEFT_CO_ASSERT_EQ(bodies.size(), 5u);
    EXPECT_EQ(bodies[0], big);
    EXPECT_EQ(bodies[1], mid);
    EXPECT_EQ(bodies[2], "t");
    EXPECT_EQ(bodies[4], mid);
    EXPECT_EQ(out.substr(out.size() - mid.size()), mid);
    EXPECT_EQ(count(out, "Content-Type"), 4u); // the tiny body has none
    srv.close();
    co_await srv.wait_closed();
}
