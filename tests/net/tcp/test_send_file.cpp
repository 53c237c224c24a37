// weft::net::connection::send_file: a file's bytes through sendfile(2), a range of it, a file
// shorter than asked, and a send that waits on a peer that does not read, cancelled.

#include "tcp_test.hpp"

#include <weft/net/connection.hpp>
#include <weft/net/server.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/wait_for.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

using namespace std::chrono_literals;
using weft::net::connection;
using weft::net::testing::echo_handler;

namespace {

/// An unlinked temporary file holding text; its descriptor.
int temp_file(const std::string& text) {
    char name[] = "/tmp/weft-send-file-XXXXXX";
    const int fd = ::mkstemp(name);
    ::unlink(name);
    if (fd >= 0 && ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        ::close(fd);
        return -1;
    }
    return fd;
}

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    }
    return s;
}

/// Reads n bytes (or up to EOF) from c.
weft::task<std::string> read_n(connection& c, std::size_t n) {
    std::string out;
    char buf[65536];
    while (out.size() < n) {
        const std::size_t got = co_await c.read_some(buf);
        if (got == 0) {
            break;
        }
        out.append(buf, got);
    }
    co_return out;
}

weft::task<void> never_reads(connection c) {
    co_await weft::sleep(30s);
}

} // namespace

WEFT_TCP_TEST(send_file, sends_a_file_and_a_range_of_it) {
    auto srv = co_await weft::net::start_server(echo_handler, "127.0.0.1", 0);
    connection c = co_await connection::connect("127.0.0.1", srv.port());
    EXPECT_TRUE(c.can_send_file());
    const std::string text = pattern(3 * 1024 * 1024 + 17);
    const int fd = temp_file(text);
    WEFT_CO_ASSERT_GE(fd, 0);
    // Sent by one task while this one reads the echo (a read and a write may be pending at once).
    std::size_t sent = 0;
    auto sender = [&]() -> weft::task<void> { sent = co_await c.send_file(fd, 0, text.size()); };
    auto f = weft::create_task(sender());
    const std::string echoed = co_await read_n(c, text.size());
    co_await f;
    EXPECT_EQ(sent, text.size());
    EXPECT_TRUE(echoed == text) << echoed.size();

    const std::size_t part = co_await c.send_file(fd, 1000, 5000);
    EXPECT_EQ(part, 5000u);
    EXPECT_EQ(co_await read_n(c, 5000), text.substr(1000, 5000));

    // Asking past the end: the bytes there are, and the count says so.
    const std::size_t tail = co_await c.send_file(fd, text.size() - 10, 100);
    EXPECT_EQ(tail, 10u);
    EXPECT_EQ(co_await read_n(c, 10), text.substr(text.size() - 10));
    ::close(fd);
    c.close();
    co_await srv.wait_closed();
}

WEFT_TCP_TEST(send_file, a_send_to_a_peer_that_does_not_read_is_cancellable) {
    auto srv = co_await weft::net::start_server(never_reads, "127.0.0.1", 0);
    connection c = co_await connection::connect("127.0.0.1", srv.port());
    const int fd = temp_file("");
    WEFT_CO_ASSERT_GE(fd, 0);
    WEFT_CO_ASSERT_EQ(::ftruncate(fd, 256 * 1024 * 1024), 0); // sparse: more than the buffers hold
    WEFT_CO_ASSERT_THROW(
        (void)co_await weft::wait_for(c.send_file(fd, 0, 256 * 1024 * 1024), 100ms),
        weft::timeout_error);
    ::close(fd);
    c.close();
    co_await srv.wait_closed(0ms);
}

WEFT_TCP_TEST(send_file, a_closed_connection_fails) {
    auto srv = co_await weft::net::start_server(echo_handler, "127.0.0.1", 0);
    connection c = co_await connection::connect("127.0.0.1", srv.port());
    const int fd = temp_file("abc");
    c.close();
    WEFT_CO_ASSERT_THROW((void)co_await c.send_file(fd, 0, 3), weft::net::error);
    ::close(fd);
    co_await srv.wait_closed();
}
