// weft-example-server: a small HTTP service on weft, the shape of a real one.
//
//     weft-example-server --port 8080 [--loops N] [--workers N] [--queue N]
//                         [--call-timeout-ms MS] [--grace-ms MS]
//                         [--tls-cert FILE --tls-key FILE]       (--help lists them)
//
//   GET  /hash?text=...&rounds=N  a CPU-heavy hash, computed on the shared pool (weft::to_thread)
//                                 so that the event loops keep serving meanwhile
//   POST /parse                   parses the body with a native parser that may crash or hang; it
//                                 runs in a weft::process_pool: a crash answers 502, a hang 504,
//                                 and the server keeps serving
//   POST /jobs[?wait_ms=MS]       queues the body for parsing in the background (202 and an id);
//                                 a full queue answers 503 with Retry-After (backpressure), at once
//                                 or after waiting up to wait_ms for room
//   GET  /jobs/{id}               the job's status: queued, running, done (result), failed (error)
//   GET  /stats                   the server's, loops', executors' and jobs' counters as JSON
//   GET  /metrics                 the same counters (and each route's request durations) in
//                                 Prometheus's text format
//
// Errors are JSON too: {"error": "not found", "path": ...} (404), {"error": "method not allowed",
// ...} (405, with Allow) and {"error": "internal server error"} (500).
//
// It prints "listening on 127.0.0.1:PORT" once it accepts connections (--port 0 picks a free
// port). SIGTERM or SIGINT shut it down gracefully: it stops accepting, lets the requests in
// progress finish (for up to --grace-ms), stops the job workers and the worker processes, and
// exits with status 0. More signals during that are ignored.
//
// With --tls-cert (a PEM certificate chain) and --tls-key (its private key) it serves HTTPS
// instead; SIGHUP re-reads both files (a renewed certificate) without dropping a connection, and
// a bad file leaves the old certificate in use.

#include "jobs.hpp"
#include "native.hpp"

#include <weft/executors/init.hpp>
#include <weft/executors/process_pool.hpp>
#include <weft/executors/run_in_executor.hpp>
#include <weft/net/http/server.hpp>
#include <weft/net/metrics.hpp>
#include <weft/net/tls.hpp>
#include <weft/runtime/event.hpp>
#include <weft/runtime/run.hpp>
#include <weft/runtime/signal.hpp>
#include <weft/runtime/stats.hpp>
#include <weft/runtime/task_group.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <exception>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

using namespace std::chrono_literals;
using json = nlohmann::json;
using weft::http::request;
using weft::http::server_response;

namespace {

struct config {
    std::uint16_t port = 8080;
    std::size_t loops = 0;   // event loops; 0: one per core
    std::size_t workers = 2; // parser processes, and background job workers
    std::size_t queue = 64;  // jobs that may wait in the queue
    std::chrono::milliseconds call_timeout = 5s;
    std::chrono::milliseconds grace = 5s;
    std::string tls_cert; // HTTPS when both are set
    std::string tls_key;
};

/// The longest /hash may be asked to work.
constexpr std::uint64_t max_rounds = 100'000'000;

/// The decimal number text holds, when it lies in [lo, hi].
std::optional<std::uint64_t> to_number(std::string_view text, std::uint64_t lo, std::uint64_t hi) {
    std::uint64_t v = 0;
    const char* end = text.data() + text.size();
    const auto [stop, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc() || stop != end || v < lo || v > hi) {
        return std::nullopt;
    }
    return v;
}

server_response json_response(int status, const json& body) {
    // Request text (a path, a query) may hold invalid UTF-8: replaced, so the body stays JSON.
    return server_response::json(body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n",
                                 status);
}

server_response error_response(int status, std::string message) {
    return json_response(status, {{"error", std::move(message)}});
}

/// "SIGSEGV" for 11.
std::string signal_name(int sig) {
    const char* abbrev = sigabbrev_np(sig);
    return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

/// Parses document in a worker process and maps the outcome to an HTTP status and a JSON body.
/// The parser's bugs stay in the worker: a crash or a hang fails this call only, and the pool
/// starts a new worker.
weft::task<std::pair<int, json>> parse_in_pool(weft::process_pool& pool, std::string document) {
    try {
        std::map<std::string, std::string> fields =
            co_await weft::run_in_executor(pool, service::parse_document, std::move(document));
        co_return std::pair{200, json{{"fields", fields}}};
    } catch (const service::parse_error& e) {
        co_return std::pair{400, json{{"error", "bad document"}, {"detail", e.what()}}};
    } catch (const weft::worker_crashed& e) {
        json error{{"error", "the parser crashed"}};
        if (e.signal() != 0) {
            error["signal"] = signal_name(e.signal());
        } else {
            error["exit_code"] = e.exit_code();
        }
        co_return std::pair{502, std::move(error)};
    } catch (const weft::timeout_error&) {
        co_return std::pair{504, json{{"error", "the parser timed out"}}};
    } catch (const weft::remote_error& e) { // anything else the parser threw
        co_return std::pair{500, json{{"error", e.what()}}};
    }
}

/// A background worker: takes jobs from the queue and parses them, one at a time, until the
/// queue is shut down.
weft::task<void> work_on_jobs(service::job_board& jobs, weft::process_pool& pool) {
    for (;;) {
        service::job j;
        try {
            j = co_await jobs.next();
        } catch (const weft::queue_shut_down&) {
            co_return;
        }
        jobs.started(j.id);
        std::pair<int, json> outcome = co_await parse_in_pool(pool, std::move(j.document));
        jobs.finished(j.id, outcome.first == 200, std::move(outcome.second));
    }
}

json to_json(const weft::executor_stats& s) {
    return {{"max_workers", s.max_workers}, {"submitted", s.submitted}, {"completed", s.completed},
            {"failed", s.failed},           {"cancelled", s.cancelled}, {"discarded", s.discarded},
            {"queued", s.queued},           {"running", s.running}};
}

json to_json(const weft::http::server_stats& s) {
    return {{"connections_open", s.connections_open},
            {"connections_total", s.connections_total},
            {"requests", s.requests},
            {"bad_requests", s.bad_requests},
            {"too_large", s.too_large},
            {"timeouts", s.timeouts},
            {"not_found", s.not_found},
            {"method_not_allowed", s.method_not_allowed},
            {"handler_errors", s.handler_errors},
            {"io_errors", s.io_errors}};
}

json to_json(const weft::loop_stats& s) {
    return {{"loop", s.loop_id},
            {"tasks_created", s.tasks_created},
            {"live_tasks", s.live_tasks},
            {"steps_run", s.steps_run},
            {"ready_depth", s.ready_depth},
            {"timers_pending", s.timers_pending},
            {"longest_step_us",
             std::chrono::duration_cast<std::chrono::microseconds>(s.longest_step).count()},
            {"stalls", s.stalls}};
}

/// What the handlers share; it lives in serve(), which outlives every request.
struct app {
    weft::http::server& http;
    weft::process_pool& parsers;
    service::job_board& jobs;
};

void add_routes(app& a) {
    a.http.route("GET", "/hash", [](request& req) -> weft::task<server_response> {
        const std::optional<std::string> text = req.query_param("text");
        const std::optional<std::uint64_t> rounds =
            to_number(req.query_param("rounds").value_or("100000"), 1, max_rounds);
        if (!text || !rounds) {
            co_return error_response(400,
                                     "expected ?text=...&rounds=1.." + std::to_string(max_rounds));
        }
        // CPU-heavy work leaves the loop: the shared pool runs it, the loop serves others.
        std::string digest = co_await weft::to_thread(service::slow_hash, *text, *rounds);
        co_return json_response(200, {{"text", *text}, {"rounds", *rounds}, {"hash", digest}});
    });

    a.http.route("POST", "/parse", [&a](request& req) -> weft::task<server_response> {
        std::pair<int, json> outcome = co_await parse_in_pool(a.parsers, req.body());
        co_return json_response(outcome.first, outcome.second);
    });

    a.http.route("POST", "/jobs", [&a](request& req) -> weft::task<server_response> {
        std::optional<std::uint64_t> wait_ms;
        if (const auto w = req.query_param("wait_ms")) {
            wait_ms = to_number(*w, 0, 30'000);
            if (!wait_ms) {
                co_return error_response(400, "wait_ms must be 0..30000");
            }
        }
        std::optional<std::uint64_t> id;
        try {
            if (wait_ms) {
                id = co_await a.jobs.submit(req.body(), std::chrono::milliseconds(*wait_ms));
            } else {
                id = a.jobs.submit_nowait(req.body());
            }
        } catch (const weft::queue_full&) {    // full: refused at once
        } catch (const weft::timeout_error&) { // still full after wait_ms
        }
        if (!id) { // backpressure: the client should come back later
            server_response busy = error_response(503, "the job queue is full");
            busy.set_header("Retry-After", "1");
            co_return busy;
        }
        server_response accepted = json_response(202, {{"id", *id}, {"status", "queued"}});
        accepted.set_header("Location", "/jobs/" + std::to_string(*id));
        co_return accepted;
    });

    a.http.route("GET", "/jobs/{id}", [&a](request& req) -> weft::task<server_response> {
        const std::optional<std::uint64_t> id = to_number(req.param("id"), 1, UINT64_MAX);
        std::optional<json> status = id ? a.jobs.status(*id) : std::nullopt;
        if (!status) {
            co_return error_response(404, "no such job");
        }
        co_return json_response(200, *status);
    });

    a.http.route("GET", "/stats", [&a](request&) -> weft::task<server_response> {
        json loops = json::array();
        for (const weft::loop_stats& s : weft::runtime_stats()) {
            loops.push_back(to_json(s));
        }
        json pool = to_json(a.parsers.stats());
        pool["worker_pids"] = a.parsers.worker_pids();
        pool["workers_started"] = a.parsers.workers_started();
        co_return json_response(200, {{"http", to_json(a.http.stats())},
                                      {"loops", loops},
                                      // The shared pool behind weft::to_thread.
                                      {"executor", to_json(weft::default_executor_stats())},
                                      {"process_pool", pool},
                                      {"jobs", a.jobs.stats()}});
    });
}

/// A JSON API answers its errors in JSON too: an unknown path (404), a known path with another
/// method (405, with Allow set by the server) and a handler that threw (500; the message stays in
/// the server's log, not in the answer).
void add_json_errors(weft::http::server& http) {
    http.on_not_found([](request& req) -> weft::task<server_response> {
        co_return json_response(404, {{"error", "not found"}, {"path", std::string(req.path())}});
    });
    http.on_method_not_allowed(
        [](request& req, std::string_view allow) -> weft::task<server_response> {
            co_return json_response(405, {{"error", "method not allowed"},
                                          {"method", std::string(req.method())},
                                          {"allow", std::string(allow)}});
        });
    http.on_error([](request&, std::exception_ptr) -> weft::task<server_response> {
        co_return error_response(500, "internal server error");
    });
}

/// While it lives, SIGTERM and SIGINT set `stop` (asyncio's loop.add_signal_handler). Without it,
/// weft::run cancels the main task on these signals.
class stop_on_signals {
public:
    explicit stop_on_signals(weft::event& stop) {
        for (const int sig : {SIGTERM, SIGINT}) {
            weft::add_signal_handler(sig, [&stop] { stop.set(); });
        }
    }
    stop_on_signals(const stop_on_signals&) = delete;
    stop_on_signals& operator=(const stop_on_signals&) = delete;
    ~stop_on_signals() {
        for (const int sig : {SIGTERM, SIGINT}) {
            weft::remove_signal_handler(sig);
        }
    }
};

/// While it lives, SIGHUP makes the server re-read its certificate and key (a renewed
/// certificate): new connections get it, open ones keep theirs; a bad file keeps the old one.
class reload_tls_on_sighup {
public:
    explicit reload_tls_on_sighup(weft::http::server& http) {
        // The files are small: reading them on the loop holds it up for well under a millisecond.
        weft::add_signal_handler(SIGHUP, [&http] {
            try {
                http.reload_tls();
                std::cout << "reloaded the TLS certificate" << std::endl;
            } catch (const weft::net::tls_error& e) {
                std::cerr << "TLS reload failed, keeping the old certificate: " << e.what()
                          << std::endl;
            }
        });
    }
    reload_tls_on_sighup(const reload_tls_on_sighup&) = delete;
    reload_tls_on_sighup& operator=(const reload_tls_on_sighup&) = delete;
    ~reload_tls_on_sighup() { weft::remove_signal_handler(SIGHUP); }
};

weft::task<int> serve(config cfg) {
    weft::process_pool parsers(
        {.workers = cfg.workers, .call_timeout = cfg.call_timeout, .name = "parser"});
    service::job_board jobs(cfg.queue);
    std::optional<weft::net::tls_options> tls;
    if (!cfg.tls_cert.empty()) {
        tls.emplace();
        tls->certificate_chain_file = cfg.tls_cert;
        tls->private_key_file = cfg.tls_key;
    }
    weft::http::server http(
        {.max_body_size = 1 << 20, .server_name = "weft-example-server", .tls = std::move(tls)});
    app a{http, parsers, jobs};
    add_routes(a);
    add_json_errors(http);
    http.route_metrics("/metrics", {.server_label = "example"});
    const weft::metrics::exported parser_metrics =
        weft::metrics::export_executor(parsers, "parser");
    co_await http.listen("127.0.0.1", cfg.port);
    std::optional<reload_tls_on_sighup> on_sighup;
    if (!cfg.tls_cert.empty()) {
        on_sighup.emplace(http);
    }

    weft::task_group job_workers;
    for (std::size_t i = 0; i < cfg.workers; ++i) {
        (void)job_workers.create_task(work_on_jobs(jobs, parsers)); // joined below
    }

    weft::event stop;
    const stop_on_signals on_signal(stop);
    std::cout << "listening on 127.0.0.1:" << http.port() << std::endl;
    co_await stop.wait();

    // The graceful shutdown takes at most grace + call_timeout; more signals meanwhile are ignored.
    std::cout << "shutting down" << std::endl;
    http.close();                         // stop accepting; requests in progress are answered
    co_await http.wait_closed(cfg.grace); // those still running after the grace are cancelled
    jobs.shutdown();                      // queued jobs are dropped, running ones finish
    co_await job_workers.join();
    parsers.shutdown(); // the worker processes exit
    std::cout << "stopped after " << http.stats().requests << " requests" << std::endl;
    co_return 0;
}

/// The command line, read with CLI11: --help lists the options (exit 0); a bad value names the
/// option and exits 2.
int parse_args(int argc, char** argv, config& cfg) {
    CLI::App app{"weft-example-server: a small HTTP service on weft (routes: /hash, /parse, "
                 "/jobs, /stats, /metrics)",
                 "weft-example-server"};
    app.add_option("--port", cfg.port, "TCP port on 127.0.0.1 (0 picks a free one)")
        ->check(CLI::Range(0, 65535))
        ->capture_default_str();
    app.add_option("--loops", cfg.loops, "Event loops (0: one per core)")
        ->check(CLI::Range(0, 1024))
        ->capture_default_str();
    app.add_option("--workers", cfg.workers, "Parser processes, and background job workers")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    app.add_option("--queue", cfg.queue, "Jobs that may wait in the queue")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    auto ms = [&app](const char* name, std::chrono::milliseconds& out, const char* what) {
        app.add_option_function<std::uint64_t>(
               name, [&out](std::uint64_t v) { out = std::chrono::milliseconds(v); }, what)
            ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{3'600'000}))
            ->default_str(std::to_string(out.count()));
    };
    ms("--call-timeout-ms", cfg.call_timeout, "Limit for one parser call, in ms (then 504)");
    ms("--grace-ms", cfg.grace, "How long shutdown waits for requests in progress, in ms");
    CLI::Option* cert = app.add_option("--tls-cert", cfg.tls_cert,
                                       "PEM certificate chain: serve HTTPS (needs --tls-key)");
    CLI::Option* key =
        app.add_option("--tls-key", cfg.tls_key, "PEM private key of --tls-cert (needs it)");
    cert->needs(key);
    key->needs(cert);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e); // --help: 0; a bad option: its message on stderr
        return code == 0 ? 0 : 2;
    }
    return -1;
}

} // namespace

int main(int argc, char** argv) {
    weft::init(argc, argv); // first: starts the process pool's fork server before any thread
    config cfg;
    if (const int done = parse_args(argc, argv, cfg); done >= 0) {
        return done; // --help, or a bad command line
    }
    weft::options opts;
    opts.loops = cfg.loops;
    return weft::run(serve(cfg), opts);
}
