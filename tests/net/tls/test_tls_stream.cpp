// TLS over weft's own connections: start_server with tls against connection::connect and
// open_connection with tls on 127.0.0.1 — echo through records of every size with a read and a
// write pending at once, SNI and name verification passing and failing, an expired certificate,
// an unknown CA, client certificates required, and clients that never complete a handshake
// (plain HTTP on the TLS port, silence until handshake_timeout).
#include "../tcp/tcp_test.hpp"
#include "tls_test.hpp"

#include <weft/net/connection.hpp>
#include <weft/net/error.hpp>
#include <weft/net/server.hpp>
#include <weft/net/stream.hpp>
#include <weft/net/tls.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/wait_for.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using weft::net::connection;
using weft::net::testing::client_tls;
using weft::net::testing::echo_handler;
using weft::net::testing::server_tls;

namespace {

weft::task<weft::net::server> tls_echo_server(weft::net::tls_options tls) {
    weft::net::server_options so;
    so.tls = std::move(tls);
    co_return co_await weft::net::start_server(echo_handler, "127.0.0.1", 0, std::move(so));
}

weft::task<connection> tls_connect(std::string host, std::uint16_t port,
                                   weft::net::tls_options tls) {
    weft::net::connect_options co;
    co.tls = std::move(tls);
    co_return co_await connection::connect(std::move(host), port, std::move(co));
}

weft::task<std::string> read_n(connection& c, std::size_t n) {
    std::string out;
    std::vector<char> buf(64 * 1024);
    while (out.size() < n) {
        const std::size_t got = co_await c.read_some(buf);
        if (got == 0) {
            break;
        }
        out.append(buf.data(), got);
    }
    co_return out;
}

/// The message of the tls_error that connecting to 127.0.0.1 throws ("" when it connects).
weft::task<std::string> connect_error(std::uint16_t port, weft::net::tls_options tls) {
    try {
        connection c = co_await tls_connect("127.0.0.1", port, std::move(tls));
    } catch (const weft::net::tls_error& e) {
        co_return std::string(e.what());
    }
    co_return std::string();
}

} // namespace

WEFT_TCP_TEST(tls, echo_with_ip_and_name_verification) {
    weft::net::server srv = co_await tls_echo_server(server_tls());
    for (const char* host : {"127.0.0.1", "localhost"}) {
        connection c = co_await tls_connect(host, srv.port(), client_tls());
        co_await c.write_all(std::span<const char>("hello", 5));
        EXPECT_EQ(co_await read_n(c, 5), "hello") << host;
    }
    // The same through asyncio-style streams.
    weft::net::connect_options co;
    co.tls = client_tls();
    auto [reader, writer] = co_await weft::net::open_connection("localhost", srv.port(), co);
    writer.write("line one\n");
    co_await writer.drain();
    EXPECT_EQ(co_await reader.readline(), "line one\n");
    writer.close();
    co_await writer.wait_closed();
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().tls_handshake_failures, 0U);
}

WEFT_TCP_TEST(tls, gathered_writes_and_a_concurrent_read_carry_every_byte) {
    weft::net::server srv = co_await tls_echo_server(server_tls());
    connection c = co_await tls_connect("127.0.0.1", srv.port(), client_tls());
    // Small pieces (joined into records), then a large one (records straight from it, with
    // backpressure: the echo comes back while the write is still pending).
    std::string big(3 * 1024 * 1024 + 17, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) {
        big[i] = static_cast<char>('a' + i % 23);
    }
    const std::string head = "HEAD", mid = "-middle-", tail = "TAIL";
    const std::vector<std::span<const char>> bufs = {head, mid, big, tail};
    const std::string expected = head + mid + big + tail;
    auto writer = [&]() -> weft::task<void> {
        co_await c.write_all(std::span<const std::span<const char>>(bufs));
        c.shutdown_write();
    };
    auto reader = [&]() -> weft::task<std::string> { co_return co_await read_n(c, SIZE_MAX); };
    auto [unused, echoed] = co_await weft::gather(writer(), reader());
    (void)unused;
    EXPECT_EQ(echoed.size(), expected.size());
    EXPECT_TRUE(echoed == expected);
    c.close();
    co_await srv.wait_closed();
}

WEFT_TCP_TEST(tls, a_wrong_name_is_refused) {
    weft::net::server srv = co_await tls_echo_server(server_tls());
    weft::net::tls_options o = client_tls();
    o.server_name = "wrong.example";
    const std::string why = co_await connect_error(srv.port(), o);
    EXPECT_NE(why.find("hostname mismatch"), std::string::npos) << why;
    // An IP address that the certificate does not name.
    weft::net::tls_options ip = client_tls();
    ip.server_name = "127.0.0.2";
    const std::string ip_why = co_await connect_error(srv.port(), ip);
    EXPECT_NE(ip_why.find("IP address mismatch"), std::string::npos) << ip_why;
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().tls_handshake_failures, 2U); // the client's alert ends the handshake
}

WEFT_TCP_TEST(tls, an_expired_certificate_is_refused) {
    weft::net::server srv = co_await tls_echo_server(server_tls("expired"));
    const std::string why = co_await connect_error(srv.port(), client_tls());
    EXPECT_NE(why.find("certificate has expired"), std::string::npos) << why;
    // Without verification (tests only) the same server is reached.
    weft::net::tls_options lax;
    lax.verify_peer = false;
    EXPECT_EQ(co_await connect_error(srv.port(), lax), "");
    co_await srv.wait_closed();
}

WEFT_TCP_TEST(tls, the_system_store_does_not_trust_a_private_ca) {
    weft::net::server srv = co_await tls_echo_server(server_tls());
    const weft::net::tls_options system_store; // no ca_file
    const std::string why = co_await connect_error(srv.port(), system_store);
    EXPECT_NE(why.find("unable to get local issuer certificate"), std::string::npos) << why;
    co_await srv.wait_closed();
}

WEFT_TCP_TEST(tls, a_required_client_certificate) {
    weft::net::tls_options so = server_tls();
    so.ca_file = weft::net::testing::certs().ca;
    so.require_client_certificate = true;
    weft::net::server srv = co_await tls_echo_server(so);
    {
        weft::net::tls_options with = client_tls();
        with.certificate_chain_file = weft::net::testing::certs().pem("client");
        with.private_key_file = weft::net::testing::certs().key("client");
        connection c = co_await tls_connect("127.0.0.1", srv.port(), with);
        co_await c.write_all(std::span<const char>("ok", 2));
        EXPECT_EQ(co_await read_n(c, 2), "ok");
    }
    // Without one: with TLS 1.3 the client's handshake ends before the server judges it, so the
    // refusal shows at the first read (the server's alert, or a reset), else at connect.
    bool refused = false;
    try {
        connection c = co_await tls_connect("127.0.0.1", srv.port(), client_tls());
        co_await c.write_all(std::span<const char>("no", 2));
        char buf[8];
        refused = (co_await weft::wait_for(c.read_some(buf), 30s)) == 0;
    } catch (const weft::net::error& e) {
        refused = true;
    }
    EXPECT_TRUE(refused);
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().tls_handshake_failures, 1U);
}

WEFT_TCP_TEST(tls, plain_http_on_the_tls_port_ends_cleanly) {
    weft::net::server srv = co_await tls_echo_server(server_tls());
    connection c = co_await connection::connect("127.0.0.1", srv.port());
    const std::string req = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    co_await c.write_all(std::span<const char>(req));
    bool ended = false;
    try {
        char buf[512];
        // The server's alert may come first; then the end (or a reset).
        while ((co_await weft::wait_for(c.read_some(buf), 30s)) != 0) {
        }
        ended = true;
    } catch (const weft::net::connection_reset&) {
        ended = true;
    }
    EXPECT_TRUE(ended);
    c.close();
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().tls_handshake_failures, 1U);
}

WEFT_TCP_TEST(tls, a_silent_client_is_dropped_after_the_handshake_timeout) {
    weft::net::tls_options so = server_tls();
    so.handshake_timeout = 200ms;
    weft::net::server srv = co_await tls_echo_server(so);
    connection c = co_await connection::connect("127.0.0.1", srv.port());
    char buf[16];
    std::size_t n = 1;
    try {
        n = co_await weft::wait_for(c.read_some(buf), 60s); // the server closes: EOF
    } catch (const weft::net::connection_reset&) {
        n = 0;
    }
    EXPECT_EQ(n, 0U);
    c.close();
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().tls_handshake_failures, 1U);
}

WEFT_TCP_TEST(tls, bad_files_are_refused_at_start) {
    weft::net::tls_options so = server_tls();
    so.private_key_file = weft::net::testing::certs().key("server2"); // another key
    EXPECT_THROW(co_await tls_echo_server(so), weft::net::tls_error);
    so.certificate_chain_file = "/nonexistent/cert.pem";
    EXPECT_THROW(co_await tls_echo_server(so), weft::net::tls_error);
    weft::net::server plain = co_await weft::net::start_server(echo_handler, "127.0.0.1", 0);
    EXPECT_THROW(plain.reload_tls(), weft::invalid_state_error);
    co_await plain.wait_closed();
}

WEFT_TCP_TEST(tls, clients_with_the_same_options_share_one_context) {
    // The context (its trust store loaded from the CA file) is built at the first connect and
    // shared by the next ones: a CA file that becomes unreadable afterwards is not read again
    // (until the context's lifetime, minutes, runs out), so the second connect still succeeds,
    // where building a fresh context would fail with "cannot load the CA file".
    weft::net::server srv = co_await tls_echo_server(server_tls());
    const std::string ca =
        weft::net::testing::certs().dir + "/shared-ca-" + std::to_string(::getpid()) + ".pem";
    std::filesystem::copy_file(weft::net::testing::certs().ca, ca,
                               std::filesystem::copy_options::overwrite_existing);
    weft::net::tls_options o = client_tls();
    o.ca_file = ca;
    {
        connection c = co_await tls_connect("127.0.0.1", srv.port(), o);
        co_await c.write_all(std::span<const char>("one", 3));
        EXPECT_EQ(co_await read_n(c, 3), "one");
    }
    std::ofstream(ca, std::ios::trunc) << "not a certificate\n";
    {
        connection c = co_await tls_connect("127.0.0.1", srv.port(), o);
        co_await c.write_all(std::span<const char>("two", 3));
        EXPECT_EQ(co_await read_n(c, 3), "two");
    }
    // Other options are another context, built from the file as it is now.
    o.alpn = {"http/1.1"};
    const std::string why = co_await connect_error(srv.port(), o);
    EXPECT_NE(why.find("cannot load the CA file"), std::string::npos) << why;
    std::filesystem::remove(ca);
    srv.close();
    co_await srv.wait_closed();
}
