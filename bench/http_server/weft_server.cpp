// The weft side of the HTTP server benchmark: GET / answers a fixed 1 KiB body.
//   weft-bench-http-server PORT LOOPS [MIDDLEWARES [CERT KEY]]
// MIDDLEWARES (default 0): that many pass-through middleware coroutines around the dispatch,
// for their cost. With CERT and KEY (PEM files) it serves HTTPS (bench/https/run.sh).
// Runs until killed; run.sh drives it with wrk beside nginx and a plain Asio server.

#include <weft/net/http/server.hpp>
#include <weft/weft.hpp>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s PORT LOOPS [MIDDLEWARES [CERT KEY]]\n", argv[0]);
        return 2;
    }
    const auto port = static_cast<std::uint16_t>(std::atoi(argv[1]));
    const auto loops = static_cast<std::size_t>(std::atoi(argv[2]));
    const int middlewares = argc > 3 ? std::atoi(argv[3]) : 0;
    static const std::string body(1024, 'x');
    std::optional<weft::net::tls_options> tls;
    if (argc >= 6) {
        tls.emplace();
        tls->certificate_chain_file = argv[4];
        tls->private_key_file = argv[5];
    }
    try {
        weft::run(
            [port, loops, middlewares, tls]() -> weft::task<void> {
                weft::http::server_options opts;
                opts.loops = loops;
                opts.tls = tls;
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
