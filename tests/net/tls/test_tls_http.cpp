// The HTTP server over TLS: curl with --cacert (GET, a POST body, several requests on one
// keep-alive connection), weft's own clients looping while reload_tls() swaps the certificate
// from another thread (no request fails; openssl s_client sees the new serial afterwards), and a
// reload from a bad file that throws and keeps the old certificate; plain HTTP to the HTTPS port
// answered with a 400.
#include "../http/http_test.hpp"
#include "../tcp/tcp_test.hpp"
#include "tls_test.hpp"

#include <weft/net/connection.hpp>
#include <weft/net/error.hpp>
#include <weft/net/http/server.hpp>
#include <weft/net/tls.hpp>
#include <weft/runtime/event.hpp>
#include <weft/runtime/gather.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using weft::http::request;
using weft::http::server_response;
using weft::net::testing::certs;
using weft::testing::http::run_command_async;

namespace {

void add_routes(weft::http::server& srv) {
    srv.route("GET", "/hello", [](request&) -> weft::task<server_response> {
        co_return server_response::text("hello over tls");
    });
    srv.route("POST", "/echo", [](request& req) -> weft::task<server_response> {
        co_return server_response::text(std::string(req.body()));
    });
}

std::string url(std::uint16_t port, const char* path) {
    return "https://localhost:" + std::to_string(port) + path;
}

/// The serial number of the certificate served on port, as openssl s_client sees it.
weft::task<std::string> served_serial(std::uint16_t port) {
    const auto r = co_await run_command_async(
        "sh -c 'openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
        " </dev/null 2>/dev/null | openssl x509 -noout -serial'");
    co_return r.out;
}

/// One request on a fresh weft TLS connection; true on a 200 with the expected body.
weft::task<bool> one_request(std::uint16_t port) {
    weft::net::connect_options co;
    co.tls = weft::net::testing::client_tls();
    weft::net::connection c = co_await weft::net::connection::connect("localhost", port, co);
    const std::string req = "GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    co_await c.write_all(std::span<const char>(req));
    const std::string resp = co_await weft::net::testing::read_all(c);
    co_return resp.starts_with("HTTP/1.1 200") && resp.ends_with("hello over tls");
}

/// Files that the server reads its certificate from, replaced by the tests.
struct live_files {
    std::string cert = certs().dir + "/live-" + std::to_string(::getpid()) + ".pem";
    std::string key = certs().dir + "/live-" + std::to_string(::getpid()) + ".key";
    void use(const char* name) const {
        namespace fs = std::filesystem;
        fs::copy_file(certs().pem(name), cert, fs::copy_options::overwrite_existing);
        fs::copy_file(certs().key(name), key, fs::copy_options::overwrite_existing);
    }
    [[nodiscard]] weft::net::tls_options options() const {
        weft::net::tls_options o;
        o.certificate_chain_file = cert;
        o.private_key_file = key;
        return o;
    }
};

} // namespace

WEFT_TCP_TEST_LOOPS(tls_http, curl_get_post_and_keep_alive, 2) {
    weft::http::server_options so;
    so.tls = weft::net::testing::server_tls();
    weft::http::server srv(so);
    add_routes(srv);
    co_await srv.listen("127.0.0.1", 0);
    const std::string curl = "curl -sS --cacert " + certs().ca + " ";
    const auto get = co_await run_command_async(curl + url(srv.port(), "/hello"));
    EXPECT_EQ(get.exit_code, 0);
    EXPECT_EQ(get.out, "hello over tls");

    const std::string body_file = certs().dir + "/body-" + std::to_string(::getpid());
    std::ofstream(body_file) << std::string(100000, 'b') << "end";
    const auto post = co_await run_command_async(curl + "--data-binary @" + body_file + " " +
                                                 url(srv.port(), "/echo"));
    EXPECT_EQ(post.exit_code, 0);
    EXPECT_EQ(post.out, std::string(100000, 'b') + "end");

    // Three requests, one connection: curl reports 1 new connection, then 0, 0.
    const std::string u = url(srv.port(), "/hello");
    const auto keep =
        co_await run_command_async(curl + "-w ' %{num_connects}\\n' " + u + " " + u + " " + u);
    EXPECT_EQ(keep.exit_code, 0);
    EXPECT_EQ(keep.out, "hello over tls 1\nhello over tls 0\nhello over tls 0\n");
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().tls_handshake_failures, 0U);
}

// Plain HTTP to the HTTPS port: a 400 in plain text, as nginx answers, then the end; the
// handshake counts as failed. curl reads it, even with more of the request still unread.
WEFT_TCP_TEST_LOOPS(tls_http, plain_http_on_the_https_port_gets_a_400, 2) {
    weft::http::server_options so;
    so.tls = weft::net::testing::server_tls();
    weft::http::server srv(so);
    add_routes(srv);
    co_await srv.listen("127.0.0.1", 0);
    weft::net::connection c = co_await weft::net::connection::connect("127.0.0.1", srv.port());
    const std::string req =
        "GET /hello HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + std::string(20000, 'p') + "\r\n\r\n";
    co_await c.write_all(std::span<const char>(req));
    const std::string resp = co_await weft::net::testing::read_all(c);
    EXPECT_TRUE(resp.starts_with("HTTP/1.1 400 Bad Request\r\n")) << resp;
    EXPECT_NE(resp.find("Connection: close"), std::string::npos) << resp;
    EXPECT_TRUE(resp.ends_with("the request was plain HTTP.\n")) << resp;
    c.close();
    const auto curl = co_await run_command_async(
        "curl -sS -o /dev/null -w '%{http_code}' http://127.0.0.1:" + std::to_string(srv.port()) +
        "/hello");
    EXPECT_EQ(curl.out, "400");
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().tls_handshake_failures, 2U);
}

WEFT_TCP_TEST_LOOPS(tls_http, reload_under_load_serves_the_new_certificate, 2) {
    live_files files;
    files.use("server");
    weft::http::server_options so;
    so.tls = files.options();
    weft::http::server srv(so);
    add_routes(srv);
    co_await srv.listen("127.0.0.1", 0);
    EXPECT_NE((co_await served_serial(srv.port())).find("1001"), std::string::npos); // 4097

    // Four clients, 25 requests each; the reload happens from another thread once 20 are done.
    constexpr int clients = 4, per_client = 25;
    std::atomic<int> ok{0}, failed{0};
    weft::event reload_now;
    auto client = [&]() -> weft::task<void> {
        for (int i = 0; i < per_client; ++i) {
            bool good = false;
            try {
                good = co_await one_request(srv.port());
            } catch (const std::exception& e) {
                ADD_FAILURE() << e.what();
            }
            (good ? ok : failed).fetch_add(1);
            if (ok.load() + failed.load() == 20) {
                reload_now.set();
            }
        }
    };
    auto reloader = [&]() -> weft::task<void> {
        co_await reload_now.wait();
        files.use("server2");
        std::thread t([&] { srv.reload_tls(); });
        t.join();
    };
    co_await weft::gather(client(), client(), client(), client(), reloader());
    EXPECT_EQ(ok.load(), clients * per_client);
    EXPECT_EQ(failed.load(), 0);
    EXPECT_NE((co_await served_serial(srv.port())).find("2002"), std::string::npos); // 8194

    // A bad file: reload throws and the server keeps the certificate it has.
    std::ofstream(files.cert, std::ios::trunc) << "not a certificate\n";
    EXPECT_THROW(srv.reload_tls(), weft::net::tls_error);
    EXPECT_TRUE(co_await one_request(srv.port()));
    EXPECT_NE((co_await served_serial(srv.port())).find("2002"), std::string::npos);
    srv.close();
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().tls_handshake_failures, 0U);
}

WEFT_TCP_TEST_LOOPS(tls_http, static_files_are_encrypted_not_sent_with_sendfile, 2) {
    // A file larger than the 16 KiB that goes out with its head: on a plain connection it would
    // go out with sendfile(2), past the encryption; over TLS it is read and written.
    const std::string dir = certs().dir + "/static-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    std::string big;
    for (int i = 0; big.size() < 300000; ++i) {
        big += std::to_string(i) + ",";
    }
    std::ofstream(dir + "/big.txt", std::ios::binary) << big;
    weft::http::server_options so;
    so.tls = weft::net::testing::server_tls();
    weft::http::server srv(so);
    srv.static_files("/files", dir);
    co_await srv.listen("127.0.0.1", 0);
    const auto got = co_await run_command_async("curl -sS --cacert " + certs().ca + " " +
                                                url(srv.port(), "/files/big.txt"));
    EXPECT_EQ(got.exit_code, 0);
    EXPECT_EQ(got.out.size(), big.size());
    EXPECT_TRUE(got.out == big);
    srv.close();
    co_await srv.wait_closed();
    std::filesystem::remove_all(dir);
}
