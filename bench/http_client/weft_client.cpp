// weft::http::client throughput: N GETs of one URL with `inflight` requests in flight (as many
// worker tasks, each awaiting one request after another), on `loops` loops. Prints one line:
//   weft <requests> <seconds> <req/s> <CPU us per request>   ("weft-loops" with loops > 1)
// Usage: weft-bench-http-client URL [requests=10000] [inflight=64] [loops=1] [nodecompress]
// (nodecompress: client_options::decompress = false, no Accept-Encoding).

#include "cpu_time.hpp"

#include <weft/net/http/client.hpp>
#include <weft/weft.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using weft_bench::cpu_seconds;

struct shared {
    std::string url;
    std::atomic<long> left{0};
    std::atomic<long> failed{0};
    std::atomic<long> bytes{0};
};

weft::task<void> worker(const weft::http::client& c, shared& s) {
    while (s.left.fetch_sub(1, std::memory_order_relaxed) > 0) {
        weft::http::response r = co_await c.get(s.url);
        if (r.status != 200) {
            if (s.failed.fetch_add(1, std::memory_order_relaxed) == 0) {
                std::fprintf(stderr, "%s: status %d\n", s.url.c_str(), r.status);
            }
        }
        s.bytes.fetch_add(static_cast<long>(r.body.size()), std::memory_order_relaxed);
    }
}

weft::task<void> one_loop(const weft::http::client& c, shared& s, int inflight) {
    std::vector<weft::task<void>> ws;
    for (int i = 0; i < inflight; ++i) {
        ws.push_back(worker(c, s));
    }
    co_await weft::gather(std::move(ws));
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s URL [requests] [inflight] [loops] [nodecompress]\n",
                     argv[0]);
        return 2;
    }
    shared s;
    s.url = argv[1];
    const long requests = argc > 2 ? std::atol(argv[2]) : 10'000;
    const int inflight = argc > 3 ? std::atoi(argv[3]) : 64;
    const int loops = argc > 4 ? std::atoi(argv[4]) : 1;
    const bool decompress = !(argc > 5 && std::string_view(argv[5]) == "nodecompress");
    // Each loop has its own pool: split the connections between the loops.
    weft::http::client c(weft::http::client::options{
        .max_connections = static_cast<std::size_t>((inflight + loops - 1) / loops),
        .decompress = decompress});

    // Warm-up: open the connections.
    s.left = inflight * 2L;
    weft::run(
        [&]() -> weft::task<void> {
            std::vector<weft::future<void>> fs;
            for (int l = 0; l < loops; ++l) {
                fs.push_back(
                    weft::spawn_on(static_cast<std::size_t>(l), one_loop(c, s, inflight / loops)));
            }
            for (auto& f : fs) {
                co_await f;
            }
            s.left = requests;
            s.bytes = 0;
            const double cpu0 = cpu_seconds();
            const auto start = std::chrono::steady_clock::now();
            fs.clear();
            for (int l = 0; l < loops; ++l) {
                fs.push_back(
                    weft::spawn_on(static_cast<std::size_t>(l), one_loop(c, s, inflight / loops)));
            }
            for (auto& f : fs) {
                co_await f;
            }
            const double secs =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            const double cpu_us = (cpu_seconds() - cpu0) * 1e6 / static_cast<double>(requests);
            std::printf("%s %ld %.3f %.0f %.1f\n", loops == 1 ? "weft" : "weft-loops", requests,
                        secs, static_cast<double>(requests) / secs, cpu_us);
        }(),
        weft::options{.loops = static_cast<std::size_t>(loops)});
    if (s.failed != 0) {
        std::fprintf(stderr, "%ld requests failed\n", s.failed.load());
        return 1;
    }
    return 0;
}
