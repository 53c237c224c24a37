// weft::http::client against nginx on 127.0.0.1 (started by the tests, see nginx_server.hpp) and a
// few raw sockets: responses, redirects, decoding, pooling, limits, TLS, timeouts, cancellation and
// typed errors.

#include "nginx_server.hpp"

#include <weft/net/http/client.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace std::chrono_literals;
using weft::http::client;
using weft::http::response;
using weft::testing::nginx_server;

namespace {

#define NGINX_OR_SKIP(var)                                                                         \
    nginx_server* var = nginx_server::get();                                                       \
    if (var == nullptr) {                                                                          \
        GTEST_SKIP() << nginx_server::reason();                                                    \
    }

/// Runs body on a fresh runtime of `loops` loops.
template <class F>
void run_on(F body, std::size_t loops = 1) {
    weft::testing::run_test(body(), loops);
}

/// A listening socket on 127.0.0.1 that never accepts: connections complete (the kernel queues
/// them) but no response ever comes.
class silent_listener {
public:
    silent_listener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 16) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            throw std::runtime_error("silent_listener: bind/listen failed");
        }
        port_ = ntohs(a.sin_port);
    }
    ~silent_listener() { ::close(fd_); }
    [[nodiscard]] std::string url(std::string_view path) const {
        return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
    }

private:
    int fd_ = -1;
    int port_ = 0;
};

/// A server on 127.0.0.1 that answers `connections` connections, one after another, each with a
/// canned reply (after reading the request head) and closes each, on a thread of its own; it gives
/// up after 10 s without a client.
class one_shot_server {
public:
    explicit one_shot_server(std::string reply, int connections = 1)
        : reply_(std::move(reply)), connections_(connections) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 4) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            ::close(fd_);
            throw std::runtime_error("one_shot_server: bind/listen failed");
        }
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~one_shot_server() {
        thread_.join();
        ::close(fd_);
    }
    [[nodiscard]] std::string url(std::string_view path) const {
        return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
    }

private:
    void serve() {
        for (int i = 0; i < connections_; ++i) {
            if (!serve_one()) {
                return;
            }
        }
    }

    bool serve_one() {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 10'000) != 1) {
            return false;
        }
        const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) {
            return false;
        }
        std::string head;
        char buf[1024];
        pollfd q{c, POLLIN, 0};
        while (head.find("\r\n\r\n") == std::string::npos && ::poll(&q, 1, 10'000) == 1) {
            const ssize_t n = ::recv(c, buf, sizeof buf, 0);
            if (n <= 0) {
                break;
            }
            head.append(buf, static_cast<std::size_t>(n));
        }
        (void)::send(c, reply_.data(), reply_.size(), MSG_NOSIGNAL);
        ::close(c);
        return true;
    }

    std::string reply_;
    int connections_ = 1;
    int fd_ = -1;
    int port_ = 0;
    std::thread thread_;
};

/// Waits (bounded, yielding to the loop) until the access log has at least `count` entries
/// for tag. nginx writes an entry once it has finished a request, which can be after the client
/// has read the whole response, so a count read at once can be short by the last requests.
weft::task<std::vector<nginx_server::entry>> logged(nginx_server* s, std::string tag,
                                                    std::size_t count = 1) {
    for (int i = 0; i < 1000; ++i) {
        auto e = s->log_with(tag);
        if (e.size() >= count) {
            co_return e;
        }
        co_await weft::sleep(10ms);
    }
    co_return s->log_with(tag);
}

// ---- responses

TEST(http_client, get_returns_status_headers_and_body) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c;
        response r = co_await c.get(s->url("/index.html"));
        EXPECT_EQ(r.status, 200);
        EXPECT_TRUE(r.ok());
        EXPECT_EQ(r.body, s->file("index.html"));
        EXPECT_EQ(r.headers.get_or("content-type", ""), "text/html");
        EXPECT_EQ(r.headers.get_or("CONTENT-LENGTH", ""), std::to_string(r.body.size()));
        EXPECT_EQ(r.headers.get_or("Server", "").substr(0, 5), "nginx");
        EXPECT_EQ(r.url, s->url("/index.html"));
        EXPECT_EQ(r.version, weft::http::http_version::http1_1);
        EXPECT_EQ(weft::http::to_string(r.version), "HTTP/1.1");
        EXPECT_EQ(r.redirects, 0);
        EXPECT_GT(r.timings.total.count(), 0);
        EXPECT_LE(r.timings.first_byte, r.timings.total);
    });
}

TEST(http_client, error_status_is_returned_and_raise_for_status_throws) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c;
        response r = co_await c.get(s->url("/no-such-page"));
        EXPECT_EQ(r.status, 404);
        EXPECT_FALSE(r.ok());
        try {
            r.raise_for_status();
            ADD_FAILURE() << "raise_for_status did not throw";
        } catch (const weft::http::status_error& e) {
            EXPECT_EQ(e.status(), 404);
            EXPECT_NE(std::string(e.what()).find("/no-such-page"), std::string::npos) << e.what();
        }
    });
}

TEST(http_client, request_sends_method_headers_and_body) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c;
        weft::http::headers h;
        h.add("X-Test", "from weft");
        response post = co_await c.request("POST", s->url("/echo"), h, std::string(10'000, 'x'));
        EXPECT_EQ(post.status, 200);
        EXPECT_EQ(post.body, "POST from weft\n");
        h.set("x-test", "gone");
        response del = co_await c.request("DELETE", s->url("/echo"), h);
        EXPECT_EQ(del.body, "DELETE gone\n");
        response head = co_await c.request("HEAD", s->url("/text.txt"));
        EXPECT_EQ(head.status, 200);
        EXPECT_TRUE(head.body.empty());
    });
}

TEST(http_client, one_off_get_uses_the_default_client) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        response a = co_await weft::http::get(s->url("/index.html?tag=oneoff"));
        response b = co_await weft::http::get(s->url("/index.html?tag=oneoff"));
        EXPECT_EQ(a.status, 200);
        EXPECT_EQ(b.body, a.body);
        EXPECT_EQ(b.new_connections, 0); // the default client pools connections too
    });
}

// ---- redirects

TEST(http_client, follows_redirects) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c;
        for (int i = 0; i < 2; ++i) { // the second time from the client's cache of parsed URLs
            response r = co_await c.get(s->url("/r3"));
            EXPECT_EQ(r.status, 200);
            EXPECT_EQ(r.redirects, 3);
            EXPECT_EQ(r.url, s->url("/index.html"));
            EXPECT_EQ(r.body, s->file("index.html"));
            EXPECT_FALSE(r.headers.contains("Location")); // the final response's fields only
        }
    });
}

TEST(http_client, too_many_redirects_is_typed_and_names_the_url) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c(client::options{.max_redirects = 5});
        const std::string u = s->url("/loop");
        try {
            (void)co_await c.get(u);
            ADD_FAILURE() << "no exception";
        } catch (const weft::http::too_many_redirects& e) {
            EXPECT_EQ(e.url(), u);
            EXPECT_NE(std::string(e.what()).find(u), std::string::npos) << e.what();
        }
        EXPECT_EQ((co_await logged(s, "/loop", 6)).size(),
                  6u); // the first request and five redirects
    });
}

TEST(http_client, max_redirects_zero_returns_the_redirect) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c(client::options{.max_redirects = 0});
        response r = co_await c.get(s->url("/redirect"));
        EXPECT_EQ(r.status, 302);
        EXPECT_EQ(r.headers.get_or("location", ""), s->url("/index.html"));
    });
}

// ---- bodies: gzip, chunked, large

TEST(http_client, gzip_and_chunked_responses_are_decoded) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c;
        response r = co_await c.get(s->url("/text.txt"));
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.headers.get_or("content-encoding", ""), "gzip");
        EXPECT_EQ(r.headers.get_or("transfer-encoding", ""), "chunked");
        EXPECT_EQ(r.body, s->file("text.txt"));
        const auto sent = co_await logged(s, "/text.txt");
        WEFT_CO_ASSERT_FALSE(sent.empty());
        EXPECT_LT(sent.back().bytes, static_cast<long>(r.body.size()) / 4); // it was compressed
    });
}

TEST(http_client, decompress_false_asks_for_no_content_coding) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c(client::options{.decompress = false});
        response r = co_await c.get(s->url("/text.txt?tag=identity"));
        EXPECT_EQ(r.status, 200);
        EXPECT_FALSE(r.headers.contains("content-encoding")); // nginx only gzips when asked
        EXPECT_EQ(r.body, s->file("text.txt"));
        const auto sent = co_await logged(s, "tag=identity");
        WEFT_CO_ASSERT_FALSE(sent.empty());
        EXPECT_GE(sent.back().bytes, static_cast<long>(r.body.size())); // sent as is
    });
}

TEST(http_client, content_length_beyond_the_body_is_a_client_error) {
    // A huge Content-Length is only a hint for the body's buffer: no huge allocation, and the
    // connection closing early fails the request.
    one_shot_server srv("HTTP/1.1 200 OK\r\nContent-Length: 999999999999999\r\n\r\nabc");
    run_on([&srv]() -> weft::task<> {
        client c;
        const std::string u = srv.url("/short");
        try {
            (void)co_await c.get(u);
            ADD_FAILURE() << "no exception";
        } catch (const weft::http::client_error& e) {
            EXPECT_EQ(e.url(), u);
        }
    });
}

TEST(http_client, chunked_response_without_compression) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c;
        response r = co_await c.get(s->url("/ssi/ssi.html"));
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.headers.get_or("transfer-encoding", ""), "chunked");
        EXPECT_FALSE(r.headers.contains("content-length"));
        EXPECT_EQ(r.body, "<p>method GET done</p>\n");
    });
}

TEST(http_client, large_body_arrives_intact) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c;
        response r = co_await c.get(s->url("/big.bin"));
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body.size(), 2u * 1024 * 1024);
        EXPECT_TRUE(r.body == s->file("big.bin"));
    });
}

// ---- pooling and limits

TEST(http_client, sequential_requests_reuse_one_connection) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c;
        for (int i = 0; i < 20; ++i) {
            response r = co_await c.get(s->url("/index.html?tag=reuse&i=" + std::to_string(i)));
            EXPECT_EQ(r.status, 200);
            EXPECT_EQ(r.new_connections, i == 0 ? 1 : 0) << "request " << i;
        }
        EXPECT_EQ((co_await logged(s, "tag=reuse&", 20)).size(), 20u);
        EXPECT_EQ(s->connections_with("tag=reuse&").size(), 1u); // counted by nginx
    });
}

TEST(http_client, thousand_concurrent_requests_within_the_connection_limit) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c(client::options{.max_connections = 8});
        std::vector<weft::task<response>> reqs;
        for (int i = 0; i < 1000; ++i) {
            reqs.push_back(c.get(s->url("/index.html?tag=many&i=" + std::to_string(i))));
        }
        std::vector<response> all = co_await weft::gather(std::move(reqs));
        WEFT_CO_ASSERT_EQ(all.size(), 1000u);
        std::size_t ok = 0;
        for (const response& r : all) {
            ok += r.status == 200 && r.body == s->file("index.html") ? 1 : 0;
        }
        EXPECT_EQ(ok, 1000u);
        EXPECT_EQ((co_await logged(s, "tag=many&", 1000)).size(), 1000u);
        const std::size_t conns = s->connections_with("tag=many&").size();
        EXPECT_GE(conns, 1u);
        EXPECT_LE(conns, 8u);
    });
}

TEST(http_client, workers_awaiting_in_turn_keep_their_connections) {
    // 32 tasks, each awaiting one request after another: a finished transfer leaves libcurl
    // before its task resumes and starts the next, so at times few transfers are in the multi
    // handle. The pool must still keep every idle connection (one per task at most).
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c;
        constexpr int workers = 32;
        constexpr int each = 10;
        std::vector<weft::task<int>> ws;
        for (int w = 0; w < workers; ++w) {
            ws.push_back([](const client& c, nginx_server* s, int w) -> weft::task<int> {
                int ok = 0;
                for (int i = 0; i < each; ++i) {
                    response r =
                        co_await c.get(s->url("/index.html?tag=turns&w=" + std::to_string(w) +
                                              "&i=" + std::to_string(i)));
                    ok += r.status == 200 ? 1 : 0;
                }
                co_return ok;
            }(c, s, w));
        }
        const std::vector<int> oks = co_await weft::gather(std::move(ws));
        int ok = 0;
        for (int n : oks) {
            ok += n;
        }
        EXPECT_EQ(ok, workers * each);
        EXPECT_EQ((co_await logged(s, "tag=turns&", workers * each)).size(),
                  static_cast<std::size_t>(workers * each));
        EXPECT_LE(s->connections_with("tag=turns&").size(), static_cast<std::size_t>(workers));
    });
}

TEST(http_client, a_pooled_connection_the_server_closed_is_replaced) {
    // The server closes each connection after one response, though it announced keep-alive: the
    // pooled connection's socket reports its end while libcurl does not watch it.
    one_shot_server srv("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 2);
    run_on([&srv]() -> weft::task<> {
        client c;
        response first = co_await c.get(srv.url("/1"));
        EXPECT_EQ(first.body, "ok");
        co_await weft::sleep(20ms); // let the close arrive while the connection sits in the pool
        response second = co_await c.get(srv.url("/2"));
        EXPECT_EQ(second.status, 200);
        EXPECT_EQ(second.body, "ok");
        EXPECT_EQ(second.new_connections, 1);
    });
}

TEST(http_client, connections_evicted_from_a_full_pool_are_replaced) {
    // One connection in all, two servers (plain and TLS) in turn: each request closes the other
    // server's idle connection, whose descriptor number the new connection likely takes over.
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c(client::options{.max_connections = 1, .ca_file = s->cert_file()});
        for (int i = 0; i < 4; ++i) {
            response plain = co_await c.get(s->url("/index.html?tag=evict&i=" + std::to_string(i)));
            EXPECT_EQ(plain.status, 200);
            EXPECT_EQ(plain.new_connections, 1) << "round " << i;
            response tls = co_await c.get(s->tls_url("/text.txt"));
            EXPECT_EQ(tls.body, s->file("text.txt"));
            EXPECT_EQ(tls.new_connections, 1) << "round " << i;
        }
        EXPECT_EQ((co_await logged(s, "tag=evict&", 4)).size(), 4u);
        EXPECT_EQ(s->connections_with("tag=evict&").size(), 4u);
    });
}

TEST(http_client, per_host_connection_limit) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c(client::options{.max_connections_per_host = 2});
        std::vector<weft::task<response>> reqs;
        for (int i = 0; i < 50; ++i) {
            reqs.push_back(c.get(s->url("/index.html?tag=perhost&i=" + std::to_string(i))));
        }
        std::vector<response> all = co_await weft::gather(std::move(reqs));
        EXPECT_EQ(all.size(), 50u);
        EXPECT_EQ((co_await logged(s, "tag=perhost&", 50)).size(), 50u);
        EXPECT_LE(s->connections_with("tag=perhost&").size(), 2u);
    });
}

TEST(http_client, requests_from_several_loops) {
    NGINX_OR_SKIP(s);
    run_on(
        [s]() -> weft::task<> {
            client c;
            auto batch = [&c, s](int loop) -> weft::task<std::size_t> {
                std::size_t n = 0;
                for (int i = 0; i < 20; ++i) {
                    response r =
                        co_await c.get(s->url("/index.html?tag=loops&l=" + std::to_string(loop) +
                                              "&i=" + std::to_string(i)));
                    n += r.status == 200 ? 1 : 0;
                }
                co_return n;
            };
            auto on0 = weft::spawn_on(0, batch(0));
            auto on1 = weft::spawn_on(1, batch(1));
            const std::size_t n0 = co_await on0;
            const std::size_t n1 = co_await on1;
            EXPECT_EQ(n0, 20u);
            EXPECT_EQ(n1, 20u);
            // One pool per loop: each loop kept its own connection.
            EXPECT_EQ((co_await logged(s, "tag=loops&l=0&", 20)).size(), 20u);
            EXPECT_EQ((co_await logged(s, "tag=loops&l=1&", 20)).size(), 20u);
            EXPECT_EQ(s->connections_with("tag=loops&l=0&").size(), 1u);
            EXPECT_EQ(s->connections_with("tag=loops&l=1&").size(), 1u);
        },
        2);
}

// ---- TLS

TEST(http_client, tls_verification_rejects_a_self_signed_certificate) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c;
        const std::string u = s->tls_url("/index.html");
        try {
            (void)co_await c.get(u);
            ADD_FAILURE() << "no exception";
        } catch (const weft::http::tls_error& e) {
            EXPECT_NE(std::string(e.what()).find(u), std::string::npos) << e.what();
        }
    });
}

TEST(http_client, tls_with_ca_file_succeeds_over_http2) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c(client::options{.ca_file = s->cert_file()});
        response r = co_await c.get(s->tls_url("/index.html"));
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body, s->file("index.html"));
        EXPECT_EQ(r.version, weft::http::http_version::http2);
        EXPECT_GT(r.timings.tls.count(), 0);
        response again = co_await c.get(s->tls_url("/text.txt"));
        EXPECT_EQ(again.body, s->file("text.txt"));
        EXPECT_EQ(again.new_connections, 0);
    });
}

TEST(http_client, tls_without_verification_succeeds) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c(client::options{.verify_tls = false, .http2 = false});
        response r = co_await c.get(s->tls_url("/index.html"));
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.version, weft::http::http_version::http1_1);
    });
}

TEST(http_client, bad_ca_file_is_a_tls_error) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c(client::options{.ca_file = s->dir() + "/no-such-ca.pem"});
        EXPECT_THROW((void)co_await c.get(s->tls_url("/index.html")), weft::http::tls_error);
    });
}

// ---- timeouts and cancellation

TEST(http_client, total_timeout_is_a_typed_error) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c(client::options{.timeout = 300ms});
        const std::string u = s->url("/slow/big.bin?tag=timeout");
        const auto start = std::chrono::steady_clock::now();
        try {
            (void)co_await c.get(u);
            ADD_FAILURE() << "no exception";
        } catch (const weft::http::timeout_error& e) {
            EXPECT_EQ(e.url(), u);
            EXPECT_NE(std::string(e.what()).find(u), std::string::npos) << e.what();
        }
        EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
    });
}

TEST(http_client, timeout_while_the_server_never_answers) {
    silent_listener quiet;
    run_on([&quiet]() -> weft::task<> {
        client c(client::options{.timeout = 200ms});
        EXPECT_THROW((void)co_await c.get(quiet.url("/")), weft::http::timeout_error);
    });
}

TEST(http_client, wait_for_aborts_the_transfer_and_drops_its_connection) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c;
        response first = co_await c.get(s->url("/index.html?tag=abort-first"));
        EXPECT_EQ(first.new_connections, 1);
        // The slow transfer reuses that connection; wait_for cancels it mid-body.
        EXPECT_THROW(
            (void)co_await weft::wait_for(c.get(s->url("/slow/big.bin?tag=abort-slow")), 300ms),
            weft::timeout_error);
        // nginx sees the connection go: it logs the request with part of the body sent.
        const auto slow = co_await logged(s, "tag=abort-slow");
        WEFT_CO_ASSERT_EQ(slow.size(), 1u);
        EXPECT_LT(slow[0].bytes, 2L * 1024 * 1024);
        EXPECT_EQ(slow[0].connection, s->log_with("tag=abort-first").at(0).connection);
        // The aborted connection is not reused: the next request opens a new one.
        response next = co_await c.get(s->url("/index.html?tag=abort-next"));
        EXPECT_EQ(next.status, 200);
        EXPECT_EQ(next.new_connections, 1);
    });
}

TEST(http_client, cancelling_the_task_raises_cancelled_error) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        client c;
        auto fut = weft::create_task(c.get(s->url("/slow/big.bin?tag=cancel")));
        co_await weft::sleep(100ms); // let it start; the outcome does not depend on how far
        fut.cancel();
        bool cancelled = false;
        try {
            (void)co_await fut;
        } catch (const weft::cancelled_error&) {
            cancelled = true;
        }
        EXPECT_TRUE(cancelled);
        response r = co_await c.get(s->url("/index.html"));
        EXPECT_EQ(r.status, 200); // the client still works
    });
}

TEST(http_client, destroying_the_client_fails_its_requests) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        auto c = std::make_unique<client>();
        auto fut = weft::create_task(c->get(s->url("/slow/big.bin?tag=destroyed")));
        co_await weft::sleep(50ms);
        c.reset();
        EXPECT_THROW((void)co_await fut, weft::http::client_error);
    });
}

TEST(http_client, a_request_awaited_after_its_client_is_gone_fails) {
    NGINX_OR_SKIP(s);
    run_on([s]() -> weft::task<> {
        weft::task<response> orphan = [&] {
            client c;
            return c.get(s->url("/index.html"));
        }();
        EXPECT_THROW((void)co_await std::move(orphan), weft::http::client_error);
    });
}

TEST(http_client, works_on_a_stand_alone_loop) {
    NGINX_OR_SKIP(s);
    weft::loop l;
    client c;
    response r = l.run_until_complete(c.get(s->url("/index.html?tag=standalone")));
    EXPECT_EQ(r.status, 200);
    response again = l.run_until_complete(c.get(s->url("/index.html?tag=standalone")));
    EXPECT_EQ(again.new_connections, 0);
    l.close(); // closes the loop's multi handle and its connections
}

// ---- errors

TEST(http_client, refused_connection_is_a_connect_error) {
    const int port = weft::testing::free_port(); // nothing listens there now
    run_on([port]() -> weft::task<> {
        client c;
        const std::string u = "http://127.0.0.1:" + std::to_string(port) + "/";
        try {
            (void)co_await c.get(u);
            ADD_FAILURE() << "no exception";
        } catch (const weft::http::connect_error& e) {
            EXPECT_NE(std::string(e.what()).find(u), std::string::npos) << e.what();
        }
    });
}

TEST(http_client, unknown_host_is_a_resolve_error) {
    run_on([]() -> weft::task<> {
        client c(client::options{.proxy_from_environment = false});
        const std::string u = "http://no-such-host.invalid/";
        try {
            (void)co_await c.get(u);
            ADD_FAILURE() << "no exception";
        } catch (const weft::http::resolve_error& e) {
            EXPECT_NE(std::string(e.what()).find(u), std::string::npos) << e.what();
        }
    });
}

TEST(http_client, bad_urls_are_invalid_url_errors) {
    run_on([]() -> weft::task<> {
        client c;
        EXPECT_THROW((void)co_await c.get("not a url"), weft::http::invalid_url_error);
        EXPECT_THROW((void)co_await c.get("ftp://127.0.0.1/file"), weft::http::invalid_url_error);
        EXPECT_THROW((void)co_await c.get(""), weft::http::invalid_url_error);
        EXPECT_THROW((void)co_await c.get("http://"), weft::http::invalid_url_error);
        EXPECT_THROW((void)co_await c.get("http://[::1/"), weft::http::invalid_url_error);
        EXPECT_THROW((void)co_await c.get("http://exa mple.org/"), weft::http::invalid_url_error);
        EXPECT_THROW((void)co_await c.request("", "http://127.0.0.1/"), weft::http::client_error);
    });
}

TEST(http_client, errors_derive_from_client_error_and_weft_error) {
    static_assert(std::is_base_of_v<weft::http::client_error, weft::http::resolve_error>);
    static_assert(std::is_base_of_v<weft::http::client_error, weft::http::connect_error>);
    static_assert(std::is_base_of_v<weft::http::client_error, weft::http::tls_error>);
    static_assert(std::is_base_of_v<weft::http::client_error, weft::http::timeout_error>);
    static_assert(std::is_base_of_v<weft::http::client_error, weft::http::too_many_redirects>);
    static_assert(std::is_base_of_v<weft::error, weft::http::client_error>);
    weft::http::timeout_error e("GET http://x/: timed out", "http://x/");
    const std::exception& base = e;
    EXPECT_EQ(std::string(base.what()), "GET http://x/: timed out");
    EXPECT_EQ(e.url(), "http://x/");
}

} // namespace
