// The server that bench/abuse/run.sh attacks: weft's HTTP server with its default limits (but
// send_timeout, given on the command line to keep the run short), on one loop.
//   weft-abuse-server PORT SEND_TIMEOUT_MS
// POST /sum answers the body's size; GET /stream streams 256 MiB in 64 KiB parts; GET /big
// answers 16 MiB from memory; GET /ping answers "pong"; GET /stats the server's and the loop's
// counters, one "name value" a line. Runs until killed.

#include <weft/net/http/server.hpp>
#include <weft/weft.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

using weft::http::body_writer;
using weft::http::request;
using weft::http::server_response;

std::string stats_text(const weft::http::server& srv) {
    const weft::http::server_stats s = srv.stats();
    std::string out;
    const auto line = [&](const char* name, std::uint64_t v) {
        out += name;
        out += ' ';
        out += std::to_string(v);
        out += '\n';
    };
    line("connections_open", s.connections_open);
    line("requests", s.requests);
    line("buffered_bytes", s.buffered_bytes);
    line("over_budget", s.over_budget);
    line("send_timeouts", s.send_timeouts);
    line("io_errors", s.io_errors);
    std::chrono::nanoseconds longest{0};
    for (const weft::loop_stats& l : weft::runtime_stats()) {
        longest = std::max(longest, l.longest_step);
    }
    line("longest_step_ms",
         static_cast<std::uint64_t>(
             std::chrono::duration_cast<std::chrono::milliseconds>(longest).count()));
    return out;
}

weft::task<void> serve(std::uint16_t port, std::chrono::milliseconds send_timeout) {
    static const std::string big(16 * 1024 * 1024, 'b');
    weft::http::server_options opts;
    opts.send_timeout = send_timeout;
    weft::http::server srv(opts);
    srv.route("POST", "/sum", [](request& req) -> weft::task<server_response> {
        co_return server_response::text(std::to_string(req.body().size()));
    });
    srv.route("GET", "/stream", [](request&) -> weft::task<server_response> {
        co_return server_response::stream([](body_writer& w) -> weft::task<void> {
            const std::string part(64 * 1024, 's');
            for (int i = 0; i < 4096; ++i) {
                co_await w.write(part);
            }
        });
    });
    srv.route("GET", "/big", [](request&) -> weft::task<server_response> {
        co_return server_response::borrowed(big);
    });
    srv.route("GET", "/ping", [](request&) -> weft::task<server_response> {
        co_return server_response::text("pong");
    });
    srv.route("GET", "/stats", [&srv](request&) -> weft::task<server_response> {
        co_return server_response::text(stats_text(srv));
    });
    co_await srv.serve("127.0.0.1", port);
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s PORT SEND_TIMEOUT_MS\n", argv[0]);
        return 2;
    }
    const auto port = static_cast<std::uint16_t>(std::atoi(argv[1]));
    const std::chrono::milliseconds send_timeout(std::atoi(argv[2]));
    try {
        weft::run(serve(port, send_timeout), weft::options{.loops = 1});
    } catch (const weft::cancelled_error&) {
        // stopped by a signal
    }
    return 0;
}
