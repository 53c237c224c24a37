// `weft worker`: serves a weft::redis_pool queue with the weft tool's own remote functions, the
// workloads that `weft stress --executor process:N` runs in its worker processes, so that
// `weft stress --executor redis:URL` can size a pool of workers anywhere. It is
// weft::serve_redis_calls with its options from the command line and the credentials from the
// environment; SIGTERM or SIGINT drains it (no new calls; those held finish, then it exits 0).
#include "commands.hpp"

#include "pools.hpp"
#include "spec.hpp"

#if WEFT_STRESS_REDIS_POOL
#include <weft/executors/redis_pool.hpp>
#endif

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

namespace weft::tools {

namespace {

struct worker_command_line {
    std::string url;
    std::string queue = stress::default_redis_queue;
    std::size_t concurrency = 0;
    std::size_t prefetch = 0;
    CLI::Option* prefetch_given = nullptr; ///< count() > 0 when --prefetch was given
    std::uint64_t visibility_ms = 30000;
    std::uint64_t drain_ms = 30000;
    std::string consumer;
};

const char* const footer =
    R"(Credentials: the password is read from WEFT_REDIS_PASSWORD and the user from
WEFT_REDIS_USER (they win over the URL's). Prefer them to a URL with a password: a command line
is visible to every user of the machine (ps).

The worker runs each call in a child process of its own (a crash takes one child, never the
worker). SIGTERM or SIGINT drains it: it takes no new call, finishes those it holds (for
--drain-timeout at most; the rest go to other workers) and exits 0.

Exit status: 0 after a drain, 1 a failure while serving, 2 bad arguments (a malformed URL).

Examples:
  weft worker --redis redis://127.0.0.1:6379 --concurrency 8
  WEFT_REDIS_PASSWORD=secret weft worker --redis redis://broker:6379 --queue sizing
  weft stress -e redis:redis://broker:6379,queue=sizing -w cpu:200 -c 8,64   (elsewhere))";

int run_worker(const worker_command_line& cl) {
#if WEFT_STRESS_REDIS_POOL
    redis_worker_options o;
    o.url = cl.url;
    o.queue = cl.queue;
    o.concurrency = cl.concurrency;
    if (cl.prefetch_given->count() > 0) {
        o.prefetch = cl.prefetch;
    }
    o.visibility_timeout = std::chrono::milliseconds(cl.visibility_ms);
    o.drain_timeout = std::chrono::milliseconds(cl.drain_ms);
    o.consumer = cl.consumer;
    if (const char* u = std::getenv("WEFT_REDIS_USER")) {
        o.user = u;
    }
    if (const char* p = std::getenv("WEFT_REDIS_PASSWORD")) {
        o.password = p;
    }
    try {
        stress::pool::prepare_process_pools(); // the calls run in a process pool's children
        return serve_redis_calls(o);
    } catch (const std::invalid_argument& e) {
        std::cerr << "weft worker: " << e.what() << "\nRun with --help for more information.\n";
        return usage_error;
    } catch (const stress::spec_error& e) {
        std::cerr << "weft worker: " << e.what() << "\n";
        return 1;
    }
#else
    (void)cl;
    std::cerr << "weft worker: not available in this build (weft::redis_pool is not part of "
                 "it)\n";
    return usage_error;
#endif
}

command add_worker_command(CLI::App& app) {
    auto cl = std::make_shared<worker_command_line>();
    CLI::App* sub = app.add_subcommand(
        "worker", "Serve a Redis queue with weft stress's workloads: the workers of "
                  "`weft stress --executor redis:URL`");
    sub->footer(footer);
    sub->add_option("--redis", cl->url,
                    "The broker: redis://[user:password@]host[:port][/db] or "
                    "unix:///path/to/redis.sock (password: WEFT_REDIS_PASSWORD, user: "
                    "WEFT_REDIS_USER in the environment)")
        ->required();
    sub->add_option("--queue", cl->queue, "The queue to serve (weft stress's queue=NAME)")
        ->capture_default_str();
    sub->add_option("--concurrency", cl->concurrency,
                    "Calls run at once, each in a child process; 0 = one per hardware thread")
        ->check(CLI::Range(std::size_t{0}, std::size_t{4096}))
        ->capture_default_str();
    cl->prefetch_given =
        sub->add_option("--prefetch", cl->prefetch,
                        "Calls held beyond the running ones, read ahead so that a child never "
                        "waits for Redis (default 3 per running call; 0 for long calls)")
            ->check(CLI::Range(std::size_t{0}, std::size_t{1'000'000}));
    sub->add_option("--visibility-timeout", cl->visibility_ms,
                    "Milliseconds after which a call held by a worker that shows no sign of life "
                    "goes to another; the same for every worker of a queue")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{86'400'000}))
        ->capture_default_str();
    sub->add_option("--drain-timeout", cl->drain_ms,
                    "Milliseconds to finish the calls held after SIGTERM/SIGINT before killing "
                    "them")
        ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{86'400'000}))
        ->capture_default_str();
    sub->add_option("--consumer", cl->consumer,
                    "This worker's name in the queue's consumer group (default host:pid)");
    return {sub, [cl] { return run_worker(*cl); }};
}

const command_registration registered{25, &add_worker_command};

} // namespace

} // namespace weft::tools
