// What the other TCP tests leave out: cancellation reaching a pending write and a pending stream
// read (the stream keeps what it buffered), typed stream errors naming the peer, the listen
// backlog, raw connections over a Unix socket and streams over IPv6.

#include "tcp_test.hpp"

#include <weft/net/connection.hpp>
#include <weft/net/error.hpp>
#include <weft/net/server.hpp>
#include <weft/net/stream.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/event.hpp>
#include <weft/runtime/wait_for.hpp>
#include <weft/testing/loopback.hpp>
#include <weft/testing/util.hpp>

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using weft::net::connection;
using weft::net::stream_reader;
using weft::net::stream_writer;
using weft::net::testing::read_all;

using weft::testing::ipv6_loopback_available;

namespace {

/// A peer that reads nothing until released, then reads everything until EOF.
struct stalled_peer {
    weft::event release;
    std::atomic<std::size_t> received{0};
};

weft::task<weft::net::server> start_stalled(std::shared_ptr<stalled_peer> p) {
    auto handler = [p](connection c) -> weft::task<void> {
        co_await p->release.wait();
        const std::string all = co_await read_all(c);
        p->received += all.size();
    };
    co_return co_await weft::net::start_server(handler, "127.0.0.1", 0);
}

std::string peer_of(const weft::net::server& srv) {
    return "127.0.0.1:" + std::to_string(srv.port());
}

} // namespace

// A write_all that waits for the peer to read is ended by wait_for (and by cancelling its task);
// the connection can then be closed cleanly.
WEFT_TCP_TEST(stream_io, a_pending_write_is_cancellable) {
    auto p = std::make_shared<stalled_peer>();
    weft::net::server srv = co_await start_stalled(p);
    connection c = co_await connection::connect("127.0.0.1", srv.port());
    const std::string big(64u << 20, 'w'); // far more than both socket buffers hold
    const auto t0 = std::chrono::steady_clock::now();
    WEFT_CO_ASSERT_THROW(co_await weft::wait_for(c.write_all(std::span<const char>(big)), 100ms),
                         weft::timeout_error);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
    EXPECT_TRUE(c.is_open());
    // Cancelling the writing task reaches the write too.
    bool cancelled = false;
    bool started = false;
    auto writer = [&]() -> weft::task<void> {
        try {
            started = true;
            co_await c.write_all(std::span<const char>(big));
        } catch (const weft::cancelled_error&) {
            cancelled = true;
            throw;
        }
    };
    auto f = weft::create_task(writer());
    // Once started, the writer runs until it suspends in the write (the buffers are full).
    const bool waiting = co_await weft::testing::yield_until([&] { return started; });
    WEFT_CO_ASSERT_TRUE(waiting);
    EXPECT_FALSE(f.done());
    f.cancel();
    try {
        co_await f;
    } catch (const weft::cancelled_error&) {
    }
    EXPECT_TRUE(cancelled);
    c.close();
    p->release.set();
    co_await srv.wait_closed();
    EXPECT_GT(p->received.load(), 0u);
}

// drain() waiting for a peer that does not read is ended by wait_for, and nothing written is
// lost: the write goes on, a later drain() finishes it, and the peer gets every byte in order.
WEFT_TCP_TEST(stream_io, a_cancelled_drain_loses_no_data) {
    auto p = std::make_shared<stalled_peer>();
    auto sum = std::make_shared<std::string>();
    auto handler = [p, sum](connection c) -> weft::task<void> {
        co_await p->release.wait();
        *sum = co_await read_all(c);
    };
    weft::net::server srv = co_await weft::net::start_server(handler, "127.0.0.1", 0);
    auto [r, w] = co_await weft::net::open_connection("127.0.0.1", srv.port());
    std::string first(32u << 20, 'a');
    first.back() = 'A';
    w.write(first);
    const std::size_t pending = w.buffered();
    WEFT_CO_ASSERT_GT(pending, 0u);
    WEFT_CO_ASSERT_THROW(co_await weft::wait_for(w.drain(), 100ms), weft::timeout_error);
    EXPECT_GT(w.buffered(), 0u) << "the unsent bytes are still owed";
    // A second cancelled drain() changes nothing either.
    WEFT_CO_ASSERT_THROW(co_await weft::wait_for(w.drain(), 10ms), weft::timeout_error);
    // Written while the first write is still in progress: goes out after it.
    w.write("tail");
    w.write_eof();
    p->release.set();
    co_await w.drain();
    EXPECT_EQ(w.buffered(), 0u);
    w.close();
    co_await w.wait_closed();
    co_await srv.wait_closed();
    WEFT_CO_ASSERT_EQ(sum->size(), first.size() + 4);
    EXPECT_TRUE(sum->compare(0, first.size(), first) == 0) << "the first write arrived damaged";
    EXPECT_EQ(sum->substr(first.size()), "tail");
}

// A stream read cancelled while waiting loses nothing: a read_exactly that has part of its bytes
// keeps them buffered, and the next read_exactly returns them with the rest.
WEFT_TCP_TEST(stream_io, a_cancelled_stream_read_keeps_what_it_buffered) {
    // The server sends "0123" at once, then "456789" once it reads a byte.
    auto handler = [](connection c) -> weft::task<void> {
        co_await c.write_all(std::span<const char>("0123", 4));
        char b;
        if (co_await c.read_some(std::span<char>(&b, 1)) == 1) {
            co_await c.write_all(std::span<const char>("456789", 6));
        }
    };
    weft::net::server srv = co_await weft::net::start_server(handler, "127.0.0.1", 0);
    auto [r, w] = co_await weft::net::open_connection("127.0.0.1", srv.port());
    WEFT_CO_ASSERT_THROW((void)co_await weft::wait_for(r.read_exactly(10), 100ms),
                         weft::timeout_error);
    EXPECT_EQ(r.buffered(), 4u) << "the bytes that did arrive stay in the reader";
    WEFT_CO_ASSERT_THROW((void)co_await weft::wait_for(r.read_until("9"), 20ms),
                         weft::timeout_error);
    EXPECT_EQ(r.buffered(), 4u);
    w.write("g");
    co_await w.drain();
    const std::string all = co_await r.read_exactly(10);
    EXPECT_EQ(all, "0123456789");
    w.close();
    co_await w.wait_closed();
    co_await srv.wait_closed();
}

// The peer resets the connection: a stream read throws connection_reset naming the peer.
WEFT_TCP_TEST(stream_io, a_reset_under_a_stream_read_is_connection_reset_with_the_peer) {
    auto handler = [](connection c) -> weft::task<void> {
        char b;
        (void)co_await c.read_some(std::span<char>(&b, 1));
        c.abort();
    };
    weft::net::server srv = co_await weft::net::start_server(handler, "127.0.0.1", 0);
    auto [r, w] = co_await weft::net::open_connection("127.0.0.1", srv.port());
    w.write("x");
    co_await w.drain();
    try {
        const std::string got = co_await r.read_exactly(5);
        ADD_FAILURE() << "read '" << got << "' from a reset connection";
    } catch (const weft::net::connection_reset& e) {
        EXPECT_NE(std::string(e.what()).find(peer_of(srv)), std::string::npos) << e.what();
    }
    co_await srv.wait_closed();
}

// The stream ends early: incomplete_read and limit_overrun name the peer.
WEFT_TCP_TEST(stream_io, eof_and_overrun_errors_name_the_peer) {
    auto handler = [](stream_reader, stream_writer w) -> weft::task<void> {
        w.write("0123456789");
        w.close();
        co_await w.wait_closed();
    };
    weft::net::server srv = co_await weft::net::start_server(handler, "127.0.0.1", 0);
    auto [r, w] = co_await weft::net::open_connection("127.0.0.1", srv.port());
    try {
        (void)co_await r.read_until("\n", 4);
        ADD_FAILURE() << "no limit_overrun";
    } catch (const weft::net::limit_overrun& e) {
        EXPECT_NE(std::string(e.what()).find(peer_of(srv)), std::string::npos) << e.what();
    }
    try {
        (void)co_await r.read_exactly(11);
        ADD_FAILURE() << "no incomplete_read";
    } catch (const weft::net::incomplete_read& e) {
        EXPECT_NE(std::string(e.what()).find(peer_of(srv)), std::string::npos) << e.what();
        EXPECT_EQ(e.partial(), "0123456789");
        EXPECT_EQ(e.expected(), 11u);
    }
    co_await srv.wait_closed();
}

// The peer is gone: drain() throws connection_reset naming the peer (never SIGPIPE).
WEFT_TCP_TEST(stream_io, drain_to_a_closed_peer_is_connection_reset_with_the_peer) {
    auto handler = [](connection c) -> weft::task<void> {
        c.close();
        co_return;
    };
    weft::net::server srv = co_await weft::net::start_server(handler, "127.0.0.1", 0);
    auto [r, w] = co_await weft::net::open_connection("127.0.0.1", srv.port());
    const std::string nothing = co_await r.read();
    EXPECT_EQ(nothing, ""); // the peer closed
    bool reset = false;
    for (int i = 0; i < 100 && !reset; ++i) {
        try {
            w.write(std::string(64 * 1024, 'p'));
            co_await w.drain();
        } catch (const weft::net::connection_reset& e) {
            reset = true;
            EXPECT_NE(std::string(e.what()).find(peer_of(srv)), std::string::npos) << e.what();
        }
    }
    EXPECT_TRUE(reset);
    w.close();
    co_await srv.wait_closed();
}

namespace {

/// How many of `tries` connects to port complete within 300 ms each; the connections are kept
/// open in `into`.
weft::task<int> connects_completed(std::uint16_t port, int tries, std::vector<connection>& into) {
    int done = 0;
    for (int i = 0; i < tries; ++i) {
        try {
            into.push_back(co_await weft::wait_for(connection::connect("127.0.0.1", port), 300ms));
            ++done;
        } catch (const weft::timeout_error&) {
        }
    }
    co_return done;
}

struct held {
    weft::event release;
    std::atomic<int> running{0};
};

} // namespace

// options.backlog reaches listen(2): with one connection served (max_connections) and a backlog
// of 1, the kernel completes only a couple more handshakes and drops the rest; with the default
// backlog every connect completes.
WEFT_TCP_TEST(stream_io, the_backlog_option_bounds_the_accept_queue) {
    auto h = std::make_shared<held>();
    auto handler = [h](connection) -> weft::task<void> {
        h->running.fetch_add(1);
        co_await h->release.wait();
    };
    weft::net::server_options small;
    small.backlog = 1;
    small.max_connections = 1;
    weft::net::server a = co_await weft::net::start_server(handler, "127.0.0.1", 0, small);
    std::vector<connection> to_a;
    const int completed_a = co_await connects_completed(a.port(), 8, to_a);
    EXPECT_GE(completed_a, 2) << "one served and at least one queued";
    EXPECT_LE(completed_a, 4) << "backlog 1 queued " << completed_a - 1 << " connections";
    EXPECT_EQ(h->running.load(), 1);

    weft::net::server_options roomy;
    roomy.max_connections = 1;
    weft::net::server b = co_await weft::net::start_server(handler, "127.0.0.1", 0, roomy);
    std::vector<connection> to_b;
    const int completed_b = co_await connects_completed(b.port(), 8, to_b);
    EXPECT_EQ(completed_b, 8);

    h->release.set();
    to_a.clear();
    to_b.clear();
    co_await a.wait_closed(1s);
    co_await b.wait_closed(1s);
}

// The raw connection form over a Unix socket: endpoints name the path, data goes both ways.
WEFT_TCP_TEST(stream_io, raw_connections_over_a_unix_socket) {
    const std::string path = "/tmp/weft-test-" + std::to_string(::getpid()) + ".sock";
    weft::net::server_options o;
    o.unix_path = path;
    weft::net::server srv =
        co_await weft::net::start_server(weft::net::testing::echo_handler, "", 0, o);
    connection c = co_await connection::connect_unix(path);
    EXPECT_EQ(c.peer_endpoint().kind(), weft::net::endpoint::family::unix_socket);
    EXPECT_EQ(c.peer_endpoint().path(), path);
    EXPECT_EQ(c.peer_endpoint().to_string(), "unix:" + path);
    const std::string msg(200'000, 'u');
    co_await c.write_all(std::span<const char>(msg));
    c.shutdown_write();
    const std::string back = co_await read_all(c);
    EXPECT_TRUE(back == msg) << back.size() << " bytes came back";
    c.close();
    co_await srv.wait_closed();
    EXPECT_EQ(srv.stats().accepted, 1u);
}

namespace {

weft::task<void> streams_over_ipv6() {
    auto handler = [](stream_reader r, stream_writer w) -> weft::task<void> {
        const std::string line = co_await r.readline();
        w.write(line);
        co_await w.drain();
        w.close();
        co_await w.wait_closed();
    };
    weft::net::server srv = co_await weft::net::start_server(handler, "::1", 0);
    auto [r, w] = co_await weft::net::open_connection("::1", srv.port());
    EXPECT_EQ(w.peer_endpoint().kind(), weft::net::endpoint::family::ipv6);
    EXPECT_EQ(w.peer_endpoint().to_string(), "[::1]:" + std::to_string(srv.port()));
    w.write("over ipv6\n");
    co_await w.drain();
    const std::string back = co_await r.readline();
    EXPECT_EQ(back, "over ipv6\n");
    w.close();
    co_await w.wait_closed();
    co_await srv.wait_closed();
}

} // namespace

TEST(stream_io, streams_over_ipv6) {
    if (!ipv6_loopback_available()) {
        GTEST_SKIP() << "::1 is not available here";
    }
    const std::size_t fds = weft::net::testing::open_fd_count();
    weft::testing::detail::run_test_body(streams_over_ipv6(), 1);
    EXPECT_EQ(weft::net::testing::open_fd_count(), fds);
}
