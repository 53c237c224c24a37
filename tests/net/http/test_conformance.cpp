// The conformance corpus (conformance_cases.cpp) against the request parser alone, fed whole and
// byte by byte, and end to end against a running server on 127.0.0.1: the status it sends, that
// it closes the connection after a rejection, and that a request sent behind each case is
// answered exactly when the case was accepted with keep-alive (nothing smuggled past a
// rejection, no bytes of a body read as a request). Also: a bare CR is answered 400 at once.

#include "conformance_cases.hpp"
#include "http_test.hpp"
#include "parser.hpp"

#include <weft/net/http/server.hpp>
#include <weft/testing/co_test.hpp>

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace weft::http::detail;
using namespace weft::testing::http;
using weft::http::request;
using weft::http::server;
using weft::http::server_options;
using weft::http::server_response;

namespace {

parser_limits corpus_parser_limits() {
    const corpus_limits c;
    parser_limits lim;
    lim.max_request_line = c.max_request_line;
    lim.max_header_bytes = c.max_header_bytes;
    lim.max_headers = c.max_headers;
    lim.max_body_size = c.max_body_size;
    lim.max_chunk_extension = c.max_chunk_extension;
    return lim;
}

// What the parser made of a case.
struct outcome {
    int status = incomplete; // 0 accepted, incomplete, or the rejection's status
    request_head head;
    std::string body;
    std::size_t consumed = 0; // bytes of the request, head and body
};

// Runs a case through the head parser and, for a body, the framing it chose, handing over the
// bytes `step` at a time as reads would.
outcome run_parser(std::string_view raw, std::size_t step, const parser_limits& lim) {
    outcome r;
    head_parser p(lim);
    parse_status st = parse_status::need_more;
    for (std::size_t have = 0; st == parse_status::need_more && have < raw.size();) {
        have = std::min(raw.size(), have + step);
        st = p.parse(raw.substr(0, have), r.head);
    }
    if (st != parse_status::complete) {
        r.status = st == parse_status::error ? p.error().status : incomplete;
        return r;
    }
    std::size_t at = r.head.consumed;
    if (r.head.framing == body_framing::content_length) {
        if (raw.size() - at < r.head.content_length) {
            return r; // incomplete
        }
        r.body.assign(raw.substr(at, static_cast<std::size_t>(r.head.content_length)));
        at += r.body.size();
    } else if (r.head.framing == body_framing::chunked) {
        chunked_decoder d(lim);
        st = parse_status::need_more;
        while (st == parse_status::need_more && at < raw.size()) {
            std::size_t used = 0;
            st = d.feed(raw.substr(at, std::min(step, raw.size() - at)), used, r.body);
            at += used;
        }
        if (st != parse_status::complete) {
            r.status = st == parse_status::error ? d.error().status : incomplete;
            return r;
        }
    }
    r.status = 0;
    r.consumed = at;
    return r;
}

// Printable bytes of a request for a failure message.
std::string shown(std::string_view raw) {
    std::string s;
    for (char c : raw.substr(0, 160)) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '\r') {
            s += "\\r";
        } else if (c == '\n') {
            s += "\\n";
        } else if (u < 0x20 || u >= 0x7f) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", u);
            s += hex;
        } else {
            s += c;
        }
    }
    return s;
}

void check_parser_verdict(const verdict_case& c, const outcome& r) {
    EXPECT_EQ(r.status, c.status);
    if (c.status != 0 || r.status != 0) {
        return;
    }
    EXPECT_EQ(r.head.method, c.method);
    EXPECT_EQ(r.head.target, c.target);
    EXPECT_EQ(r.body, c.body);
    EXPECT_EQ(r.consumed, c.raw.size()) << "an accepted case is exactly one request";
    if (c.authority) {
        EXPECT_EQ(r.head.authority, *c.authority);
    }
    if (c.keep_alive) {
        EXPECT_EQ(r.head.keep_alive, *c.keep_alive);
    }
}

} // namespace

TEST(http_conformance, corpus_is_large_and_documented) {
    const std::vector<verdict_case> cases = conformance_cases();
    EXPECT_GE(cases.size(), 100u);
    for (const verdict_case& c : cases) {
        EXPECT_NE(std::string_view(c.why), "") << shown(c.raw);
    }
}

TEST(http_conformance, parser_verdicts_whole_and_byte_by_byte) {
    const parser_limits lim = corpus_parser_limits();
    for (const verdict_case& c : conformance_cases()) {
        SCOPED_TRACE(std::string(c.why) + ": " + shown(c.raw));
        for (std::size_t step : {c.raw.size(), std::size_t{1}, std::size_t{7}}) {
            SCOPED_TRACE("step " + std::to_string(step));
            check_parser_verdict(c, run_parser(c.raw, std::max<std::size_t>(step, 1), lim));
        }
    }
}

namespace {

// One response of a connection's output: its status and body (Content-Length framed, as the
// server frames every non-streamed response).
struct response_seen {
    int status = 0;
    bool close = false;
    std::string body;
};

std::vector<response_seen> split_responses(std::string_view out) {
    std::vector<response_seen> v;
    while (!out.empty()) {
        const auto end = out.find("\r\n\r\n");
        if (end == std::string_view::npos || out.substr(0, 9) != "HTTP/1.1 ") {
            v.push_back({-1, false, std::string(out)}); // not a response: fails the checks
            break;
        }
        const std::string_view head = out.substr(0, end + 2);
        response_seen r;
        r.status = std::atoi(std::string(out.substr(9, 3)).c_str());
        r.close = head.find("\r\nConnection: close\r\n") != std::string_view::npos;
        std::size_t length = 0;
        if (const auto cl = head.find("\r\nContent-Length: "); cl != std::string_view::npos) {
            length = static_cast<std::size_t>(std::atol(std::string(head.substr(cl + 18)).c_str()));
        }
        out.remove_prefix(end + 4);
        r.body = std::string(out.substr(0, length));
        out.remove_prefix(std::min(length, out.size()));
        v.push_back(std::move(r));
    }
    return v;
}

server_options corpus_server_options() {
    const corpus_limits c;
    server_options o;
    o.max_request_line = c.max_request_line;
    o.max_header_bytes = c.max_header_bytes;
    o.max_headers = c.max_headers;
    o.max_body_size = c.max_body_size;
    return o;
}

void add_echo_routes(server& srv) {
    auto echo = [](request& req) -> weft::task<server_response> {
        co_return server_response::text(std::string(req.method()) + "|" + std::string(req.path()) +
                                        "|" + std::string(req.query()) + "|" +
                                        std::string(req.header("host").value_or("-")) + "|" +
                                        req.body());
    };
    for (const char* method : {"GET", "POST", "PUT", "DELETE"}) {
        srv.route(method, "/echo", echo);
    }
    srv.route("GET", "/", echo);
}

// The path and query a target names (RFC 9112 section 3.2; RFC 3986 section 3.3: an absolute
// target's empty path is "/").
std::pair<std::string, std::string> path_and_query(std::string_view target) {
    if (const auto scheme = target.find("://"); target.front() != '/' && scheme != target.npos) {
        target.remove_prefix(std::min(target.size(), target.find_first_of("/?#", scheme + 3)));
    }
    const auto q = target.find('?');
    std::string path(target.substr(0, q));
    return {path.empty() ? "/" : path, q == target.npos ? "" : std::string(target.substr(q + 1))};
}

// Sent behind every case: answered only when the case was accepted and kept the connection.
constexpr std::string_view follow_up =
    "GET /echo HTTP/1.1\r\nHost: next\r\nConnection: close\r\n\r\n";

void check_served(const verdict_case& c, const outcome& parsed, std::string_view out) {
    const std::vector<response_seen> rs = split_responses(out);
    ASSERT_FALSE(rs.empty()) << "no response";
    if (c.status != 0) {
        EXPECT_EQ(rs.size(), 1u) << "the request sent behind a rejected one was answered";
        EXPECT_EQ(rs[0].status, c.status);
        EXPECT_TRUE(rs[0].close) << "a rejection says Connection: close";
        return;
    }
    EXPECT_EQ(rs[0].status, c.served_status);
    if (c.served_status == 200) {
        // The Host field the handler sees: the parser's authority (the target's, for an
        // absolute-form target), or none.
        bool has_host = false;
        for (const field_view& f : parsed.head.fields) {
            std::string name(f.name);
            for (char& ch : name) {
                ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            }
            has_host = has_host || name == "host";
        }
        const std::string host = has_host ? std::string(parsed.head.authority) : "-";
        const auto [path, query] = path_and_query(c.target);
        EXPECT_EQ(rs[0].body, c.method + "|" + path + "|" + query + "|" + host + "|" + c.body);
    }
    const std::size_t expected = parsed.head.keep_alive ? 2 : 1;
    ASSERT_EQ(rs.size(), expected) << "keep-alive " << parsed.head.keep_alive;
    if (expected == 2) {
        EXPECT_EQ(rs[1].status, 200);
        EXPECT_EQ(rs[1].body, "GET|/echo||next|");
    }
}

} // namespace

WEFT_CO_TEST(http_conformance, corpus_end_to_end) {
    server srv(corpus_server_options());
    add_echo_routes(srv);
    co_await srv.listen("127.0.0.1", 0);
    const parser_limits lim = corpus_parser_limits();
    std::size_t sent = 0;
    for (const verdict_case& c : conformance_cases()) {
        if (!c.end_to_end || c.status == incomplete) {
            continue;
        }
        SCOPED_TRACE(std::string(c.why) + ": " + shown(c.raw));
        const outcome parsed = run_parser(c.raw, c.raw.size(), lim);
        const std::string out = co_await exchange(srv.port(), c.raw + std::string(follow_up));
        check_served(c, parsed, out);
        ++sent;
    }
    EXPECT_GE(sent, 100u);
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().connections_open, 0u);
}

// A CR not followed by LF is a 400 as soon as the byte after it arrives, not a 408 when the
// head timeout ends: the server is given a head timeout far longer than the read bound.
WEFT_CO_TEST(http_conformance, bare_cr_is_rejected_at_once) {
    server_options o;
    o.header_timeout = std::chrono::minutes(5);
    server srv(o);
    add_echo_routes(srv);
    co_await srv.listen("127.0.0.1", 0);
    // In a field value, with no LF anywhere yet.
    std::string out = co_await exchange(srv.port(), "GET /echo HTTP/1.1\r\nHost: h\rX");
    EXPECT_EQ(first_line(out), "HTTP/1.1 400 Bad Request");
    // In the request line.
    out = co_await exchange(srv.port(), "GET /echo\rHTTP/1.1");
    EXPECT_EQ(first_line(out), "HTTP/1.1 400 Bad Request");
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().bad_requests, 2u);
    EXPECT_EQ(srv.stats().timeouts, 0u);
}
