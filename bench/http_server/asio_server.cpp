// The baseline of the HTTP server benchmark: a plain, single-file Asio coroutine server
// (asio::awaitable), one io_context and one SO_REUSEPORT acceptor per thread, answering every
// request with the same 1 KiB body (with Date, as nginx and weft send). It finds a request's end
// by its blank line and does not parse further.
//   asio-bench-http-server PORT THREADS

#include <asio.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using asio::ip::tcp;
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

namespace {

const std::string body(1024, 'x');

// "HTTP/1.1 200 OK ... Date: <29 chars>\r\n\r\n<body>", the date refreshed once a second.
struct reply {
    std::string bytes;
    std::size_t date_at = 0;
    std::time_t second = 0;

    reply() {
        bytes = "HTTP/1.1 200 OK\r\nServer: asio\r\nContent-Type: text/plain\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\nDate: ";
        date_at = bytes.size();
        bytes += std::string(29, ' ') + "\r\n\r\n" + body;
    }
    const std::string& now() {
        const std::time_t t = std::time(nullptr);
        if (t != second) {
            second = t;
            std::tm tm{};
            gmtime_r(&t, &tm);
            char text[32];
            std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
            std::memcpy(bytes.data() + date_at, text, 29);
        }
        return bytes;
    }
};

thread_local reply cached;

asio::awaitable<void> session(tcp::socket s) {
    s.set_option(tcp::no_delay(true));
    std::array<char, 16384> buf;
    std::size_t have = 0;
    std::string out;
    try {
        for (;;) {
            const std::size_t n = co_await s.async_read_some(
                asio::buffer(buf.data() + have, buf.size() - have), asio::use_awaitable);
            have += n;
            std::string_view data(buf.data(), have);
            std::size_t pos = 0;
            out.clear();
            for (auto end = data.find("\r\n\r\n"); end != std::string_view::npos;
                 end = data.find("\r\n\r\n", pos)) {
                out += cached.now();
                pos = end + 4;
            }
            std::memmove(buf.data(), buf.data() + pos, have - pos);
            have -= pos;
            if (have == buf.size()) {
                co_return; // a head larger than the buffer
            }
            if (!out.empty()) {
                co_await asio::async_write(s, asio::buffer(out), asio::use_awaitable);
            }
        }
    } catch (const std::exception&) {
        // the client went away
    }
}

asio::awaitable<void> listen(tcp::acceptor& acceptor) {
    for (;;) {
        tcp::socket s = co_await acceptor.async_accept(asio::use_awaitable);
        asio::co_spawn(acceptor.get_executor(), session(std::move(s)), asio::detached);
    }
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s PORT THREADS\n", argv[0]);
        return 2;
    }
    const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
    const int threads = std::atoi(argv[2]);
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i) {
        pool.emplace_back([port] {
            asio::io_context io(1);
            tcp::acceptor acceptor(io);
            const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
            acceptor.open(ep.protocol());
            acceptor.set_option(tcp::acceptor::reuse_address(true));
            acceptor.set_option(reuse_port(true));
            acceptor.bind(ep);
            acceptor.listen(1024);
            asio::co_spawn(io, listen(acceptor), asio::detached);
            io.run();
        });
    }
    for (std::thread& t : pool) {
        t.join();
    }
    return 0;
}
