// The weft side of the HTTP server benchmark: GET / answers a fixed 1 KiB body.
//   weft-bench-http-server PORT LOOPS [MIDDLEWARES]
// MIDDLEWARES (default 0): that many pass-through middleware coroutines around the dispatch,
// for their cost.
// Runs until killed; run.sh drives it with wrk beside nginx and a plain Asio server.

#include <weft/net/http/server.hpp>
#include <weft/weft.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s PORT LOOPS [MIDDLEWARES]\n", argv[0]);
        return 2;
    }
    const auto port = static_cast<std::uint16_t>(std::atoi(argv[1]));
    const auto loops = static_cast<std::size_t>(std::atoi(argv[2]));
    const int middlewares = argc > 3 ? std::atoi(argv[3]) : 0;
    static const std::string body(1024, 'x');
    try {
        weft::run(
            [port, loops, middlewares]() -> weft::task<void> {
                weft::http::server_options opts;
                opts.loops = loops;
                weft::http::server srv(opts);
                srv.route("GET", "/",
                          [](weft::http::request&) -> weft::task<weft::http::server_response> {
                              // A constant body, as nginx's `return 200` and the Asio server's
                              // prebuilt reply: sent without a copy.
                              co_return weft::http::server_response::borrowed(body);
                          });
                for (int i = 0; i < middlewares; ++i) {
                    srv.use([](weft::http::request& req,
                               weft::http::next next) -> weft::task<weft::http::server_response> {
                        co_return co_await next(req);
                    });
                }
                co_await srv.serve("127.0.0.1", port);
            }(),
            weft::options{.loops = loops});
    } catch (const weft::cancelled_error&) {
        // stopped by a signal
    }
    return 0;
}
