// Worker mode: `program --weft-redis-worker URL [--queue NAME] [--concurrency N] [--prefetch N]
// [--visibility-timeout MS] [--drain-timeout MS] [--consumer NAME]`, read by weft::init after it
// started the fork server (the worker's process pool needs it). The password is best given in
// WEFT_REDIS_PASSWORD (and the user in WEFT_REDIS_USER): a URL on the command line is visible to
// every user of the machine through ps.

#include "worker_mode.hpp"

#include <weft/executors/redis_pool.hpp>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

namespace weft::detail::rp {

namespace {

long long number(std::string_view flag, std::string_view v) {
    long long n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc() || p != v.data() + v.size() || n < 0) {
        throw std::invalid_argument(std::string(flag) + " takes a number, not \"" + std::string(v) +
                                    "\"");
    }
    return n;
}

redis_worker_options parse(int argc, char** argv) {
    redis_worker_options o;
    if (argc < 3) {
        throw std::invalid_argument("--weft-redis-worker takes the broker URL");
    }
    o.url = argv[2];
    for (int i = 3; i < argc; i += 2) {
        const std::string_view flag = argv[i];
        if (i + 1 >= argc) {
            throw std::invalid_argument(std::string(flag) + " takes a value");
        }
        const std::string_view v = argv[i + 1];
        if (flag == "--queue") {
            o.queue = v;
        } else if (flag == "--concurrency") {
            o.concurrency = static_cast<std::size_t>(number(flag, v));
        } else if (flag == "--prefetch") {
            o.prefetch = static_cast<std::size_t>(number(flag, v));
        } else if (flag == "--visibility-timeout") {
            o.visibility_timeout = std::chrono::milliseconds(number(flag, v));
        } else if (flag == "--drain-timeout") {
            o.drain_timeout = std::chrono::milliseconds(number(flag, v));
        } else if (flag == "--consumer") {
            o.consumer = v;
        } else {
            throw std::invalid_argument("unknown option " + std::string(flag) +
                                        " (--queue, --concurrency, --prefetch, "
                                        "--visibility-timeout, --drain-timeout, --consumer)");
        }
    }
    if (const char* u = std::getenv("WEFT_REDIS_USER")) {
        o.user = u;
    }
    if (const char* p = std::getenv("WEFT_REDIS_PASSWORD")) {
        o.password = p;
    }
    return o;
}

} // namespace

void run_worker_if_asked(int argc, char** argv) {
    if (argc < 2 || argv == nullptr || argv[1] == nullptr ||
        std::string_view(argv[1]) != "--weft-redis-worker") {
        return;
    }
    int status = 0;
    try {
        status = serve_redis_calls(parse(argc, argv));
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
        status = 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: redis worker: %s\n", argv[0], e.what());
        status = 1;
    }
    std::fflush(stderr);
    std::exit(status);
}

} // namespace weft::detail::rp
