// The target of the reliability script (bench/abuse/run.py): a weft HTTP server with the routes
// an attacker or a careless client leans on, and its own counters at /stats.
//   weft-abuse-server [--loops N] [--send-timeout-ms MS] [--bomb FILE]
// Listens on 127.0.0.1 at a free port, prints "port N" on stdout once it listens, and serves
// until SIGINT/SIGTERM. Routes:
//   POST /sum          reads the whole request body, answers its length
//   GET  /stream?mb=N  N MiB streamed by a producer, 64 KiB per write (chunked)
//   GET  /big?mb=N     N MiB held in memory, one response
//   GET  /slow?ms=N    answers after N ms
//   GET  /probe        answers at once
//   GET  /bomb         the bytes of FILE with Content-Encoding: gzip
//   GET  /stats        the server's counters as JSON, with /slow requests in flight and /probe
//                      answers given

#include <weft/net/http/server.hpp>
#include <weft/weft.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace {

using weft::http::request;
using weft::http::server_response;

struct settings {
    std::size_t loops = 1;
    long send_timeout_ms = 60'000;
    std::string bomb_file;
};

settings parse(int argc, char** argv) {
    settings s;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view flag = argv[i];
        if (flag == "--loops") {
            s.loops = std::strtoul(argv[i + 1], nullptr, 10);
        } else if (flag == "--send-timeout-ms") {
            s.send_timeout_ms = std::strtol(argv[i + 1], nullptr, 10);
        } else if (flag == "--bomb") {
            s.bomb_file = argv[i + 1];
        } else {
            std::fprintf(stderr, "unknown option %s\n", argv[i]);
            std::exit(2);
        }
    }
    return s;
}

std::size_t number(const request& r, const char* name, std::size_t fallback) {
    const auto v = r.query_param(name);
    return v ? std::strtoull(v->c_str(), nullptr, 10) : fallback;
}

/// Requests of /slow being served and /probe answers given (any loop).
std::atomic<std::uint64_t> slow_in_flight{0};
std::atomic<std::uint64_t> probes{0};

std::string stats_json(const weft::http::server_stats& s) {
    return "{\"slow_in_flight\":" + std::to_string(slow_in_flight.load()) +
           ",\"probes\":" + std::to_string(probes.load()) +
           ",\"connections_open\":" + std::to_string(s.connections_open) +
           ",\"requests\":" + std::to_string(s.requests) +
           ",\"send_timeouts\":" + std::to_string(s.send_timeouts) +
           ",\"over_budget\":" + std::to_string(s.over_budget) +
           ",\"buffered_bytes\":" + std::to_string(s.buffered_bytes) + "}";
}

void add_routes(weft::http::server& srv, const std::string& bomb) {
    srv.route("POST", "/sum", [](request& r) -> weft::task<server_response> {
        co_return server_response::text(std::to_string(r.body().size()));
    });
    srv.route("GET", "/stream", [](request& r) -> weft::task<server_response> {
        const std::size_t mb = number(r, "mb", 64);
        co_return server_response::stream([mb](weft::http::body_writer& w) -> weft::task<void> {
            static const std::string chunk(64 * 1024, 's');
            for (std::size_t i = 0; i < mb * 16; ++i) {
                co_await w.write(chunk);
            }
        });
    });
    srv.route("GET", "/big", [](request& r) -> weft::task<server_response> {
        co_return server_response::text(std::string(number(r, "mb", 64) << 20, 'b'));
    });
    srv.route("GET", "/slow", [](request& r) -> weft::task<server_response> {
        ++slow_in_flight;
        struct leave {
            ~leave() { --slow_in_flight; }
        } on_exit;
        co_await weft::sleep(std::chrono::milliseconds(number(r, "ms", 1000)));
        co_return server_response::text("slow");
    });
    srv.route("GET", "/probe", [](request&) -> weft::task<server_response> {
        ++probes;
        co_return server_response::text("ok");
    });
    srv.route("GET", "/bomb", [&bomb](request&) -> weft::task<server_response> {
        server_response res = server_response::borrowed(bomb, 200, "application/octet-stream");
        res.set_header("Content-Encoding", "gzip");
        co_return res;
    });
    srv.route("GET", "/stats", [&srv](request&) -> weft::task<server_response> {
        co_return server_response::json(stats_json(srv.stats()));
    });
}

weft::task<void> serve(const settings& s) {
    std::string bomb;
    if (!s.bomb_file.empty()) {
        std::ifstream in(s.bomb_file, std::ios::binary);
        bomb.assign(std::istreambuf_iterator<char>(in), {});
    }
    weft::http::server_options o;
    o.loops = s.loops;
    o.send_timeout = std::chrono::milliseconds(s.send_timeout_ms);
    weft::http::server srv(o);
    add_routes(srv, bomb);
    co_await srv.listen("127.0.0.1", 0);
    std::printf("port %u\n", static_cast<unsigned>(srv.port()));
    std::fflush(stdout);
    try {
        co_await weft::event().wait(); // until SIGINT/SIGTERM cancels the main task
    } catch (const weft::cancelled_error&) {
    }
    srv.close();
    co_await srv.wait_closed();
}

} // namespace

int main(int argc, char** argv) {
    const settings s = parse(argc, argv);
    weft::run(serve(s), weft::options{.loops = s.loops});
    return 0;
}
