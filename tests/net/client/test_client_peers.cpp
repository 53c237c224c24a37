// weft::http::client against a weft::http::server started by the test on 127.0.0.1 (the other
// client tests use nginx): what the server receives (method, headers, body, User-Agent),
// connections counted on the server side, deflate bodies, a proxy named by the environment, and
// the connect timeout.

#include <weft/net/http/client.hpp>
#include <weft/net/http/server.hpp>
#include <weft/runtime/version.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace std::chrono_literals;
using weft::http::client;
using weft::http::request;
using weft::http::response;
using weft::http::server_response;

namespace {

/// What the test server saw of the last request.
struct seen_request {
    std::string method;
    std::string target;
    std::string path;
    std::string user_agent;
    std::string x_test;
    std::string expect;
    std::size_t body_size = 0;
};

// zlib.compress(b"deflated by the test server; " * 40): Content-Encoding deflate (RFC 9110
// 8.4.1.2: the zlib format).
constexpr unsigned char deflated[] = {
    0x78, 0x9c, 0x4b, 0x49, 0x4d, 0xcb, 0x49, 0x2c, 0x49, 0x4d, 0x51, 0x48, 0xaa, 0x54, 0x28, 0xc9,
    0x48, 0x55, 0x28, 0x49, 0x2d, 0x2e, 0x51, 0x28, 0x4e, 0x2d, 0x2a, 0x4b, 0x2d, 0xb2, 0x56, 0x48,
    0x19, 0x95, 0x1c, 0x95, 0x1c, 0x95, 0x1c, 0x95, 0xa4, 0xbd, 0x24, 0x00, 0xab, 0x31, 0xa5, 0x28};

std::string repeated(std::string_view s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) {
        out += s;
    }
    return out;
}

/// A weft server with a route that records each request and echoes it, and one that answers
/// a deflated body.
void add_routes(weft::http::server& srv, std::shared_ptr<seen_request> seen) {
    auto record = [seen](request& req) -> weft::task<server_response> {
        seen->method = std::string(req.method());
        seen->target = std::string(req.target());
        seen->path = std::string(req.path());
        seen->user_agent = std::string(req.header("user-agent").value_or(""));
        seen->x_test = std::string(req.header("x-test").value_or(""));
        seen->expect = std::string(req.header("expect").value_or(""));
        seen->body_size = req.body().size();
        co_return server_response::text(seen->method + " " + seen->target + " " +
                                        std::to_string(seen->body_size));
    };
    for (const char* m : {"GET", "POST", "PUT", "DELETE"}) {
        srv.route(m, "/record", record);
        srv.route(m, "/record/{rest}", record);
    }
    srv.route("GET", "/deflate", [](request&) -> weft::task<server_response> {
        server_response r(200,
                          std::string(reinterpret_cast<const char*>(deflated), sizeof deflated));
        r.set_header("Content-Encoding", "deflate");
        co_return r;
    });
}

std::string url_of(const weft::http::server& srv, std::string_view path) {
    return "http://127.0.0.1:" + std::to_string(srv.port()) + std::string(path);
}

/// Sets (or unsets, with nullopt) an environment variable for the scope, then restores it.
class scoped_env {
public:
    scoped_env(const char* name, std::optional<std::string> value) : name_(name) {
        if (const char* old = std::getenv(name)) {
            old_ = old;
        }
        if (value) {
            ::setenv(name, value->c_str(), 1);
        } else {
            ::unsetenv(name);
        }
    }
    ~scoped_env() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }
    scoped_env(const scoped_env&) = delete;
    scoped_env& operator=(const scoped_env&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

} // namespace

WEFT_CO_TEST(http_client_peers, a_weft_server_receives_method_headers_body_and_user_agent) {
    auto seen = std::make_shared<seen_request>();
    weft::http::server srv;
    add_routes(srv, seen);
    co_await srv.listen("127.0.0.1", 0);
    {
        client c;
        weft::http::headers h;
        h.add("X-Test", "peer-check");
        const std::string body(2u << 20, 'b');
        response r = co_await c.request("PUT", url_of(srv, "/record/a%20b?x=1"), h, body);
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body, "PUT /record/a%20b?x=1 " + std::to_string(body.size()));
        EXPECT_EQ(seen->method, "PUT");
        EXPECT_EQ(seen->x_test, "peer-check");
        EXPECT_EQ(seen->body_size, body.size());
        EXPECT_EQ(seen->expect, "") << "no 100-continue round trip unless asked for";
        EXPECT_EQ(seen->user_agent, std::string("weft/") + WEFT_VERSION_STRING);
        // Asked for: libcurl waits for the server's 100 Continue before the body.
        h.set("Expect", "100-continue");
        response cont = co_await c.request("POST", url_of(srv, "/record"), h, body);
        EXPECT_EQ(cont.body, "POST /record " + std::to_string(body.size()));
        EXPECT_EQ(seen->expect, "100-continue");
        response del = co_await c.request("DELETE", url_of(srv, "/record"));
        EXPECT_EQ(del.body, "DELETE /record 0");
        response get = co_await c.get(url_of(srv, "/record"));
        EXPECT_EQ(get.body, "GET /record 0");
        EXPECT_EQ(get.new_connections, 0);
    }
    EXPECT_EQ(srv.stats().connections_total, 1u) << "one pooled connection, counted by the server";
    EXPECT_EQ(srv.stats().requests, 4u);
    {
        client custom(client::options{.user_agent = "peer-check-agent/1.0"});
        response r = co_await custom.get(url_of(srv, "/record"));
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(seen->user_agent, "peer-check-agent/1.0");
    }
    srv.close();
    co_await srv.wait_closed();
}

WEFT_CO_TEST(http_client_peers, deflate_bodies_are_decoded) {
    auto seen = std::make_shared<seen_request>();
    weft::http::server srv;
    add_routes(srv, seen);
    co_await srv.listen("127.0.0.1", 0);
    {
        client c;
        response r = co_await c.get(url_of(srv, "/deflate"));
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.headers.get_or("content-encoding", ""), "deflate");
        EXPECT_EQ(r.body, repeated("deflated by the test server; ", 40));
        // Without decompression the body is returned as sent.
        client raw(client::options{.decompress = false});
        response as_sent = co_await raw.get(url_of(srv, "/deflate"));
        EXPECT_EQ(as_sent.body,
                  std::string(reinterpret_cast<const char*>(deflated), sizeof deflated));
    }
    srv.close();
    co_await srv.wait_closed();
}

// http_proxy names a weft server: a client made while it is set sends its plain-http requests
// there in absolute form (even for a host that does not resolve); one with
// proxy_from_environment = false goes straight to the host.
WEFT_CO_TEST(http_client_peers, the_proxy_from_the_environment_is_used_unless_turned_off) {
    auto seen = std::make_shared<seen_request>();
    weft::http::server proxy;
    add_routes(proxy, seen);
    co_await proxy.listen("127.0.0.1", 0);
    const std::string target = "http://weft-test-origin.invalid/record/via-proxy?q=1";
    {
        scoped_env http_proxy("http_proxy", url_of(proxy, ""));
        scoped_env no_proxy("no_proxy", std::nullopt);
        scoped_env no_proxy_upper("NO_PROXY", std::nullopt);
        scoped_env all_proxy("all_proxy", std::nullopt);
        {
            client c;
            response r = co_await c.get(target);
            EXPECT_EQ(r.status, 200);
            EXPECT_EQ(seen->target, target) << "an absolute-form request target";
            EXPECT_EQ(seen->path, "/record/via-proxy");
        }
        {
            client direct(client::options{.proxy_from_environment = false});
            WEFT_CO_ASSERT_THROW((void)co_await direct.get(target), weft::http::resolve_error);
        }
    }
    EXPECT_EQ(proxy.stats().requests, 1u);
    proxy.close();
    co_await proxy.wait_closed();
}

namespace {

/// A listener whose accept queue is full and never accepted from: further connection attempts
/// are dropped by the kernel, so a connect stays pending.
class full_listener {
public:
    full_listener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 0) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            throw std::runtime_error("full_listener: bind/listen failed");
        }
        port_ = ntohs(a.sin_port);
        // Blocking connects, each bounded by SO_SNDTIMEO, until one does not complete.
        for (int i = 0; i < 16; ++i) {
            const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            timeval tv{0, 200'000};
            ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
            const bool done = ::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
            fillers_.push_back(c);
            if (!done) {
                full_ = true;
                break;
            }
        }
    }
    ~full_listener() {
        for (int c : fillers_) {
            ::close(c);
        }
        ::close(fd_);
    }
    full_listener(const full_listener&) = delete;
    full_listener& operator=(const full_listener&) = delete;
    [[nodiscard]] bool full() const noexcept { return full_; }
    [[nodiscard]] std::string url(std::string_view path) const {
        return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
    }

private:
    int fd_ = -1;
    int port_ = 0;
    bool full_ = false;
    std::vector<int> fillers_;
};

} // namespace

TEST(http_client_peers, connect_timeout_is_a_typed_error_naming_the_url) {
    full_listener unreachable;
    if (!unreachable.full()) {
        GTEST_SKIP() << "the kernel accepted every connection into the queue";
    }
    weft::testing::detail::run_test_body(
        [](const full_listener& l) -> weft::task<void> {
            client c(client::options{.connect_timeout = 300ms, .timeout = 0ms});
            const std::string u = l.url("/never");
            const auto t0 = std::chrono::steady_clock::now();
            try {
                (void)co_await c.get(u);
                ADD_FAILURE() << "connected through a full accept queue";
            } catch (const weft::http::timeout_error& e) {
                EXPECT_EQ(e.url(), u);
                EXPECT_NE(std::string(e.what()).find(u), std::string::npos) << e.what();
            }
            const auto took = std::chrono::steady_clock::now() - t0;
            EXPECT_GE(took, 250ms);
            EXPECT_LT(took, 10s);
        }(unreachable),
        1);
}
