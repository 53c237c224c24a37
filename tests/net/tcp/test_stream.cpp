// weft::net streams (asyncio's StreamReader/StreamWriter) over TCP on 127.0.0.1.

#include "tcp_test.hpp"

#include <weft/net/error.hpp>
#include <weft/net/server.hpp>
#include <weft/net/stream.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/event.hpp>
#include <weft/runtime/future.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <cctype>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>

using weft::net::stream_reader;
using weft::net::stream_writer;

namespace {

/// A server that sends `payload` and closes (after draining).
weft::task<weft::net::server> sender(std::string payload) {
    auto handler = [payload](stream_reader, stream_writer w) -> weft::task<void> {
        w.write(payload);
        co_await w.drain();
        w.close();
        co_await w.wait_closed();
    };
    co_return co_await weft::net::start_server(handler, "127.0.0.1", 0);
}

} // namespace

WEFT_TCP_TEST(stream, read_exactly_at_eof_is_incomplete_read_with_partial_bytes) {
    weft::net::server srv = co_await sender("abc");
    auto [r, w] = co_await weft::net::open_connection("127.0.0.1", srv.port());
    try {
        const std::string s = co_await r.read_exactly(5);
        ADD_FAILURE() << "read_exactly returned '" << s << "'";
    } catch (const weft::net::incomplete_read& e) {
        EXPECT_EQ(e.partial(), "abc");
        EXPECT_EQ(e.expected(), 5u);
    }
    EXPECT_TRUE(r.at_eof());
    co_await srv.wait_closed();
}

WEFT_TCP_TEST(stream, read_exactly_and_read) {
    weft::net::server srv = co_await sender("0123456789abcdef");
    auto [r, w] = co_await weft::net::open_connection("127.0.0.1", srv.port());
    const std::string a = co_await r.read_exactly(4);
    EXPECT_EQ(a, "0123");
    const std::string b = co_await r.read(3);
    EXPECT_LE(b.size(), 3u);
    EXPECT_EQ(b, std::string("456").substr(0, b.size()));
    const std::string rest = co_await r.read(); // until EOF
    EXPECT_EQ(a + b + rest, "0123456789abcdef");
    EXPECT_TRUE(r.at_eof());
    const std::string after = co_await r.read(10);
    EXPECT_EQ(after, "");
    co_await srv.wait_closed();
}

WEFT_TCP_TEST(stream, readline_and_read_until) {
    weft::net::server srv = co_await sender("line one\nline two\r\n\r\nbody|tail");
    auto [r, w] = co_await weft::net::open_connection("127.0.0.1", srv.port());
    const std::string l1 = co_await r.readline();
    EXPECT_EQ(l1, "line one\n");
    const std::string head = co_await r.read_until("\r\n\r\n");
    EXPECT_EQ(head, "line two\r\n\r\n");
    const std::string body = co_await r.read_until("|");
    EXPECT_EQ(body, "body|");
    const std::string last = co_await r.readline();
    EXPECT_EQ(last, "tail") << "readline returns the partial last line at EOF";
    const std::string none = co_await r.readline();
    EXPECT_EQ(none, "");
    EXPECT_TRUE(r.at_eof());
    co_await srv.wait_closed();
}

WEFT_TCP_TEST(stream, read_until_at_eof_is_incomplete_read) {
    weft::net::server srv = co_await sender("no delimiter here");
    auto [r, w] = co_await weft::net::open_connection("127.0.0.1", srv.port());
    try {
        (void)co_await r.read_until("\r\n");
        ADD_FAILURE() << "read_until found a delimiter that was never sent";
    } catch (const weft::net::incomplete_read& e) {
        EXPECT_EQ(e.partial(), "no delimiter here");
    }
    co_await srv.wait_closed();
}

WEFT_TCP_TEST(stream, read_until_past_its_limit_is_limit_overrun) {
    weft::net::server srv = co_await sender(std::string(100, 'x') + "\nafter\n");
    auto [r, w] = co_await weft::net::open_connection("127.0.0.1", srv.port());
    try {
        (void)co_await r.read_until("\n", 10);
        ADD_FAILURE() << "no limit_overrun";
    } catch (const weft::net::limit_overrun& e) {
        EXPECT_GT(e.consumed(), 10u);
    }
    // The data stays buffered: a larger limit gets the line.
    const std::string line = co_await r.read_until("\n", 1000);
    EXPECT_EQ(line, std::string(100, 'x') + "\n");
    WEFT_CO_ASSERT_THROW((void)co_await r.readline(3), weft::net::limit_overrun);
    const std::string after = co_await r.readline();
    EXPECT_EQ(after, "after\n");
    co_await srv.wait_closed();
}

namespace {

/// Reads nothing until released, then counts every byte until EOF.
struct slow_reader {
    weft::event release;
    std::size_t received = 0;
};

} // namespace

WEFT_TCP_TEST(stream, drain_waits_while_the_peer_does_not_read) {
    auto state = std::make_shared<slow_reader>();
    auto handler = [state](stream_reader r, stream_writer) -> weft::task<void> {
        co_await state->release.wait();
        const std::string all = co_await r.read();
        state->received = all.size();
    };
    weft::net::server srv = co_await weft::net::start_server(handler, "127.0.0.1", 0);
    auto [r, w] = co_await weft::net::open_connection("127.0.0.1", srv.port());
    // Far more than the socket buffers on both sides hold.
    const std::size_t total = 32u << 20;
    w.write(std::string(total, 'z'));
    EXPECT_GT(w.buffered(), 0u) << "the kernel took 32 MiB without the peer reading";
    EXPECT_TRUE(w.above_high_water());
    auto drained = weft::create_task(w.drain());
    const bool early = co_await weft::testing::yield_until([&] { return drained.done(); }, 500);
    EXPECT_FALSE(early) << "drain() finished while the peer read nothing";
    EXPECT_GT(w.buffered() + 0u, 0u);
    w.close(); // while drain() still sends: the close waits for it, then closes the socket
    EXPECT_TRUE(w.is_closing());
    state->release.set();
    co_await drained;
    EXPECT_EQ(w.buffered(), 0u);
    co_await w.wait_closed();
    co_await srv.wait_closed();
    EXPECT_EQ(state->received, total);
}

WEFT_TCP_TEST(stream, writer_close_sends_buffered_data_first) {
    auto handler = [](stream_reader r, stream_writer w) -> weft::task<void> {
        const std::string all = co_await r.read();
        w.write(std::to_string(all.size()));
        w.close();
        co_await w.wait_closed();
    };
    weft::net::server srv = co_await weft::net::start_server(handler, "127.0.0.1", 0);
    auto [r, w] = co_await weft::net::open_connection("127.0.0.1", srv.port());
    w.write(std::string(4u << 20, 'q'));
    w.write_eof(); // FIN once the buffer is out
    auto drained = weft::create_task(w.drain());
    const std::string count = co_await r.read();
    co_await drained;
    EXPECT_EQ(count, std::to_string(4u << 20));
    EXPECT_EQ(w.peer_endpoint().port(), srv.port());
    w.close();
    co_await w.wait_closed();
    EXPECT_THROW(w.write("late"), weft::invalid_state_error);
    co_await srv.wait_closed();
}

namespace {

/// Python asyncio's own streams as the peer: sends two lines, prints the replies.
constexpr const char* python_client = R"(
import asyncio, sys
async def main(port):
    r, w = await asyncio.open_connection('127.0.0.1', port)
    for word in ('alpha', 'beta'):
        w.write(word.encode() + b'\n')
        await w.drain()
        print((await r.readline()).decode().strip())
    w.close()
    await w.wait_closed()
asyncio.run(main(int(sys.argv[1])))
)";

/// Runs command on a thread of its own and completes the future with its standard output.
weft::future<std::string> run_command(std::string command, std::thread& runner) {
    weft::promise<std::string> p;
    weft::future<std::string> f = p.get_future();
    runner = std::thread([command = std::move(command), p = std::move(p)]() mutable {
        std::string out;
        if (FILE* pipe = ::popen(command.c_str(), "r")) {
            char buf[256];
            std::size_t n = 0;
            while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) {
                out.append(buf, n);
            }
            ::pclose(pipe);
        }
        p.set_value(std::move(out));
    });
    return f;
}

weft::task<void> upper_echo(stream_reader r, stream_writer w) {
    for (;;) {
        std::string line = co_await r.readline();
        if (line.empty()) {
            break;
        }
        for (char& c : line) {
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        w.write(line);
        co_await w.drain();
    }
    w.close();
    co_await w.wait_closed();
}

} // namespace

WEFT_TCP_TEST(stream, serves_a_python_asyncio_client) {
    weft::net::server srv = co_await weft::net::start_server(upper_echo, "127.0.0.1", 0);
    std::string script = python_client;
    std::string quoted; // single-quoted for the shell
    for (char c : script) {
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    const std::string command =
        "timeout 30 /usr/bin/python3 -c '" + quoted + "' " + std::to_string(srv.port()) + " 2>&1";
    std::thread runner;
    weft::future<std::string> output = run_command(command, runner);
    const std::string out = co_await output;
    runner.join();
    EXPECT_EQ(out, "ALPHA\nBETA\n");
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().accepted, 1u);
}
