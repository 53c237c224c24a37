// TCP echo round trips: weft's connection against a plain Asio coroutine server, driven by the
// same plain Asio client, in the same run.
//
//   weft-bench-tcp-echo [seconds=3] [connections=64] [message bytes=64]
//
// Each server runs on one thread (one weft loop; one io_context for Asio), the client on another:
// `connections` sockets each send a message and wait for the echo, over and over. Printed: round
// trips per second for each server, and weft's ratio to Asio.

#include <weft/weft.hpp>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using asio::ip::tcp;

// ---- the client: plain Asio callbacks, one thread ---------------------------------------------

struct client_conn : std::enable_shared_from_this<client_conn> {
    client_conn(asio::io_context& io, std::size_t size, std::atomic<bool>& stop,
                std::uint64_t& count)
        : sock(io), out(size, 'm'), in(size, 0), stop_(stop), count_(count) {}
    tcp::socket sock;
    std::string out;
    std::string in;
    std::atomic<bool>& stop_;
    std::uint64_t& count_;

    void round() {
        if (stop_.load(std::memory_order_relaxed)) {
            return;
        }
        auto self = shared_from_this();
        asio::async_write(sock, asio::buffer(out), [self](std::error_code ec, std::size_t) {
            if (ec) {
                return;
            }
            asio::async_read(self->sock, asio::buffer(self->in),
                             [self](std::error_code ec2, std::size_t) {
                                 if (ec2) {
                                     return;
                                 }
                                 ++self->count_;
                                 self->round();
                             });
        });
    }
};

/// Drives the server at port for `seconds`; returns round trips per second.
double drive(std::uint16_t port, double seconds, std::size_t conns, std::size_t size) {
    asio::io_context io(1);
    std::atomic<bool> stop{false};
    std::uint64_t count = 0;
    std::vector<std::shared_ptr<client_conn>> cs;
    for (std::size_t i = 0; i < conns; ++i) {
        auto c = std::make_shared<client_conn>(io, size, stop, count);
        c->sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        c->sock.set_option(tcp::no_delay(true));
        cs.push_back(c);
    }
    for (auto& c : cs) {
        c->round();
    }
    // Warm up, then count over the measured window.
    io.run_for(std::chrono::milliseconds(300));
    const std::uint64_t start_count = count;
    const auto t0 = std::chrono::steady_clock::now();
    io.run_for(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(seconds)));
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double rate = static_cast<double>(count - start_count) / dt;
    stop = true;
    for (auto& c : cs) {
        std::error_code ignored;
        c->sock.close(ignored);
    }
    io.run_for(std::chrono::milliseconds(100));
    return rate;
}

// ---- the baseline: a plain Asio coroutine echo server -------------------------------------------

asio::awaitable<void> asio_echo(tcp::socket s) {
    char buf[4096];
    try {
        for (;;) {
            const std::size_t n =
                co_await s.async_read_some(asio::buffer(buf), asio::use_awaitable);
            co_await asio::async_write(s, asio::buffer(buf, n), asio::use_awaitable);
        }
    } catch (const std::exception&) {
    }
}

asio::awaitable<void> asio_listen(tcp::acceptor& acc) {
    for (;;) {
        tcp::socket s = co_await acc.async_accept(asio::use_awaitable);
        s.set_option(tcp::no_delay(true));
        asio::co_spawn(acc.get_executor(), asio_echo(std::move(s)), asio::detached);
    }
}

double run_asio(double seconds, std::size_t conns, std::size_t size) {
    asio::io_context io(1);
    tcp::acceptor acc(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const std::uint16_t port = acc.local_endpoint().port();
    asio::co_spawn(io, asio_listen(acc), asio::detached);
    std::thread server([&] { io.run(); });
    const double rate = drive(port, seconds, conns, size);
    io.stop();
    server.join();
    return rate;
}

// ---- weft: weft::net::start_server with a raw-connection echo handler ---------------------------

weft::task<void> weft_echo(weft::net::connection c) {
    char buf[4096];
    for (;;) {
        const std::size_t n = co_await c.read_some(buf);
        if (n == 0) {
            co_return;
        }
        co_await c.write_all(std::span<const char>(buf, n));
    }
}

double run_weft(double seconds, std::size_t conns, std::size_t size) {
    weft::promise<void> done;
    weft::future<void> done_f = done.get_future();
    std::atomic<std::uint16_t> port{0};
    std::thread server([&] {
        weft::run(
            [&]() -> weft::task<void> {
                weft::net::server srv = co_await weft::net::start_server(weft_echo, "127.0.0.1", 0);
                port = srv.port();
                co_await done_f;
                co_await srv.wait_closed(std::chrono::milliseconds(0));
            }(),
            weft::options{.loops = 1});
    });
    while (port.load() == 0) {
        std::this_thread::yield();
    }
    const double rate = drive(port.load(), seconds, conns, size);
    done.set_value();
    server.join();
    return rate;
}

} // namespace

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
    const std::size_t conns = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 64;
    const std::size_t size = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 64;
    // Alternate, so that a drift of the machine's load hits both.
    const double a1 = run_asio(seconds, conns, size);
    const double w1 = run_weft(seconds, conns, size);
    const double a2 = run_asio(seconds, conns, size);
    const double w2 = run_weft(seconds, conns, size);
    const double a = (a1 + a2) / 2;
    const double w = (w1 + w2) / 2;
    std::printf("connections=%zu message=%zuB seconds=%.1f\n", conns, size, seconds);
    std::printf("asio coroutine server: %10.0f round trips/s (%.0f, %.0f)\n", a, a1, a2);
    std::printf("weft connection:       %10.0f round trips/s (%.0f, %.0f)\n", w, w1, w2);
    std::printf("weft / asio:           %10.2f\n", w / a);
    return 0;
}
