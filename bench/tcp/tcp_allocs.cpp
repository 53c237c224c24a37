// Heap allocations per read/write on weft::net::connection in steady state: counts calls of the
// global operator new (replaced here) over N echo round trips between a client connection and a
// server handler on one loop, after a warm-up. Each round trip is a client write_all + read_some
// and a server read_some + write_all, most of which suspend on the socket.
//
//   weft-bench-tcp-allocs [round trips=20000]

#include <weft/weft.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>

namespace {
std::atomic<long> allocations{0};
} // namespace

void* operator new(std::size_t n) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) {
        return p;
    }
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}

namespace {

weft::task<void> echo(weft::net::connection c) {
    char buf[256];
    for (;;) {
        const std::size_t n = co_await c.read_some(buf);
        if (n == 0) {
            co_return;
        }
        co_await c.write_all(std::span<const char>(buf, n));
    }
}

weft::task<void> round_trips(weft::net::connection& c, int n) {
    char buf[64] = {};
    for (int i = 0; i < n; ++i) {
        co_await c.write_all(std::span<const char>(buf, sizeof buf));
        std::size_t got = 0;
        while (got < sizeof buf) {
            got += co_await c.read_some(std::span<char>(buf + got, sizeof buf - got));
        }
    }
}

weft::task<int> body(int n) {
    weft::net::server srv = co_await weft::net::start_server(echo, "127.0.0.1", 0);
    weft::net::connection c = co_await weft::net::connection::connect("127.0.0.1", srv.port());
    co_await round_trips(c, 1000); // warm-up: Asio's per-thread operation memory is recycled
    const long before = allocations.load();
    co_await round_trips(c, n);
    const long after = allocations.load();
    std::printf("%d round trips: %ld operator new calls, %.4f per round trip\n", n, after - before,
                static_cast<double>(after - before) / n);
    c.close();
    co_await srv.wait_closed();
    co_return after - before > n / 100 ? 1 : 0; // fails when more than 1 in 100 allocates
}

} // namespace

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 20000;
    return weft::run(body(n), weft::options{.loops = 1});
}
