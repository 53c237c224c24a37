// `weft fetch`: fetch URLs with weft::http::client, one after another or many at once, and print
// per URL the status, size and time; --compare runs both ways and charts them; --demo does that
// against a local weft::http::server it starts itself on the same loop (no internet needed).
// SIGINT/SIGTERM stop it: it prints what finished so far, then dies by that signal (130/143).

#include "commands.hpp"
#include "common/cli_checks.hpp"
#include "common/progress_bar.hpp"

#include <weft/net/http/client.hpp>
#include <weft/net/http/server.hpp>
#include <weft/weft.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <unistd.h>

namespace weft::tools {

namespace {

using std::chrono::steady_clock;

struct fetch_options {
    std::vector<std::string> urls;
    std::string file;
    bool sequential = false;
    bool compare = false;
    bool json = false;
    bool demo = false;
    bool insecure = false;
    bool quiet = false;
    int concurrency = 16;
    double timeout_s = 30;
    std::size_t max_response_bytes = http::client_options{}.max_response_bytes;
    std::size_t max_header_bytes = http::client_options{}.max_header_bytes;
    int demo_pages = 6;
    int demo_delay_ms = 200;
};

/// One URL's outcome.
struct result {
    std::string url;
    int status = 0;
    std::size_t bytes = 0;
    double seconds = 0;
    std::string error; ///< empty on success
    std::string error_kind;
    bool done = false; ///< finished, in success or failure (false: never started, or interrupted)
};

/// One pass over the list.
struct run_result {
    std::vector<result> results;
    double seconds = 0;
    int concurrency = 1;
};

/// The body length of the demo server's page i (1-based): each page has its own.
std::size_t demo_page_size(int i) noexcept {
    return 1000 + 1234 * static_cast<std::size_t>(i);
}

/// The demo's server: /page/1 ... /page/N, each answered after `delay` (weft::sleep, so the
/// loop keeps serving and fetching meanwhile), a stand-in for a far-away server's round trip.
void add_demo_pages(http::server& srv, int pages, std::chrono::milliseconds delay) {
    srv.route("GET", "/page/{n}",
              [pages, delay](http::request& req) -> task<http::server_response> {
                  const int n = std::atoi(std::string(req.param("n")).c_str());
                  if (n < 1 || n > pages) {
                      co_return http::server_response::text("no such page\n", 404);
                  }
                  co_await weft::sleep(delay);
                  std::string body = "<html><body><h1>page " + std::to_string(n) + "</h1><p>";
                  body.resize(demo_page_size(n) - 18, '.');
                  body += "</p></body></html>";
                  co_return http::server_response::text(std::move(body));
              });
}

std::string error_kind(const std::exception& e) {
    if (dynamic_cast<const http::resolve_error*>(&e) != nullptr) {
        return "resolve";
    }
    if (dynamic_cast<const http::connect_error*>(&e) != nullptr) {
        return "connect";
    }
    if (dynamic_cast<const http::tls_error*>(&e) != nullptr) {
        return "tls";
    }
    if (dynamic_cast<const http::timeout_error*>(&e) != nullptr) {
        return "timeout";
    }
    if (dynamic_cast<const http::too_many_redirects*>(&e) != nullptr) {
        return "redirects";
    }
    if (dynamic_cast<const http::invalid_url_error*>(&e) != nullptr) {
        return "url";
    }
    if (dynamic_cast<const http::response_too_large*>(&e) != nullptr) {
        return "too-large";
    }
    if (dynamic_cast<const http::headers_too_large*>(&e) != nullptr) {
        return "headers-too-large";
    }
    return "error";
}

/// Progress through the URL list on stderr: drawn only on a terminal and only for longer lists,
/// at most every 100 ms; cleared when the fetch ends.
class progress {
public:
    progress(std::size_t total, bool enabled) : total_(total) {
        if (enabled && total >= 20 && ::isatty(STDERR_FILENO) != 0) {
            bar_.emplace(stderr);
        }
    }

    void step() {
        ++done_;
        if (!bar_) {
            return;
        }
        const auto now = steady_clock::now();
        if (done_ != total_ && now - last_ < std::chrono::milliseconds(100)) {
            return;
        }
        last_ = now;
        bar_->update(static_cast<double>(done_) / static_cast<double>(total_),
                     std::to_string(done_) + "/" + std::to_string(total_));
    }

private:
    std::size_t total_;
    std::size_t done_ = 0;
    std::optional<progress_bar> bar_;
    steady_clock::time_point last_{};
};

task<result> fetch_one(const http::client& c, std::string url) {
    result r;
    r.url = url;
    const auto start = steady_clock::now();
    try {
        http::response resp = co_await c.get(std::move(url));
        r.status = resp.status;
        r.bytes = resp.body_bytes;
    } catch (const std::exception& e) {
        r.error = e.what();
        r.error_kind = error_kind(e);
    }
    r.seconds = std::chrono::duration<double>(steady_clock::now() - start).count();
    r.done = true;
    co_return r;
}

/// Fetches every URL into out, at most `concurrency` at once (workers pulling from a shared
/// index). out holds the finished ones (result::done) even when a cancellation ends it early.
task<void> fetch_all(const http::client& c, const std::vector<std::string>& urls, int concurrency,
                     bool show_progress, run_result& out) {
    out.concurrency = std::max(1, std::min<int>(concurrency, static_cast<int>(urls.size())));
    out.results.assign(urls.size(), result{});
    progress bar(urls.size(), show_progress);
    std::size_t next = 0;
    auto worker = [&]() -> task<void> {
        while (next < urls.size()) {
            const std::size_t i = next++;
            out.results[i] = co_await fetch_one(c, urls[i]);
            bar.step();
        }
    };
    const auto start = steady_clock::now();
    struct timing {
        run_result& out;
        steady_clock::time_point start;
        ~timing() {
            out.seconds = std::chrono::duration<double>(steady_clock::now() - start).count();
        }
    } timed{out, start};
    std::vector<task<void>> workers;
    for (int w = 0; w < out.concurrency; ++w) {
        workers.push_back(worker());
    }
    // gather: a cancellation cancels the workers and waits for them before this frame goes.
    co_await weft::gather(std::move(workers));
}

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (char ch : s) {
        switch (ch) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        default:
            if (static_cast<unsigned char>(ch) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", ch);
                out += buf;
            } else {
                out += ch;
            }
        }
    }
    return out + "\"";
}

std::string run_json(const char* mode, const run_result& r) {
    std::ostringstream o;
    o << "{\"mode\": \"" << mode << "\", \"concurrency\": " << r.concurrency
      << ", \"seconds\": " << r.seconds << ", \"results\": [";
    for (std::size_t i = 0; i < r.results.size(); ++i) {
        const result& x = r.results[i];
        o << (i == 0 ? "" : ", ") << "{\"url\": " << json_string(x.url)
          << ", \"status\": " << x.status << ", \"bytes\": " << x.bytes
          << ", \"seconds\": " << x.seconds;
        if (!x.error.empty()) {
            o << ", \"error\": " << json_string(x.error)
              << ", \"error_kind\": " << json_string(x.error_kind);
        }
        o << "}";
    }
    o << "]}";
    return o.str();
}

void print_table(const run_result& r) {
    std::printf("%-6s %10s %9s  %s\n", "status", "bytes", "time", "url");
    for (const result& x : r.results) {
        if (!x.done) {
            continue; // interrupted before it finished
        }
        if (x.error.empty()) {
            std::printf("%-6d %10zu %7.0f ms  %s\n", x.status, x.bytes, x.seconds * 1000,
                        x.url.c_str());
        } else {
            std::printf("%-6s %10s %7.0f ms  %s\n      %s\n", x.error_kind.c_str(), "-",
                        x.seconds * 1000, x.url.c_str(), x.error.c_str());
        }
    }
}

std::size_t failures(const run_result& r) {
    return static_cast<std::size_t>(std::count_if(
        r.results.begin(), r.results.end(), [](const result& x) { return !x.error.empty(); }));
}

std::size_t total_bytes(const run_result& r) {
    std::size_t n = 0;
    for (const result& x : r.results) {
        n += x.bytes;
    }
    return n;
}

void print_summary(const char* label, const run_result& r) {
    std::printf("%s: %zu URLs, %zu bytes, %zu failed, %.3f s (%d at a time)\n", label,
                r.results.size(), total_bytes(r), failures(r), r.seconds, r.concurrency);
}

/// The seed's chart, in the terminal: one bar per run, scaled to the longest.
void print_chart(const run_result& seq, const run_result& con) {
    constexpr int width = 50;
    const double longest = std::max(seq.seconds, con.seconds);
    auto bar = [&](const char* label, double s) {
        const int n = longest > 0 ? std::max(1, static_cast<int>(width * s / longest + 0.5)) : 1;
        std::string b;
        for (int i = 0; i < n; ++i) {
            b += "\u2588";
        }
        std::printf("  %-11s %s %.2f s\n", label, b.c_str(), s);
    };
    std::printf("\n");
    bar("sequential", seq.seconds);
    bar("concurrent", con.seconds);
}

std::vector<std::string> read_urls(std::istream& in) {
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line)) {
        const auto b = line.find_first_not_of(" \t\r");
        if (b == std::string::npos || line[b] == '#') {
            continue;
        }
        const auto e = line.find_last_not_of(" \t\r");
        out.push_back(line.substr(b, e - b + 1));
    }
    return out;
}

void print_results(const fetch_options& o, const run_result& seq, const run_result& con) {
    if (o.json) {
        std::printf("{\"runs\": [");
        bool first = true;
        if (o.compare || o.sequential) {
            std::printf("%s", run_json("sequential", seq).c_str());
            first = false;
        }
        if (o.compare || !o.sequential) {
            std::printf("%s%s", first ? "" : ", ", run_json("concurrent", con).c_str());
        }
        if (o.compare) {
            std::printf("], \"speedup\": %.3f}\n", con.seconds > 0 ? seq.seconds / con.seconds : 0);
        } else {
            std::printf("]}\n");
        }
    } else if (o.compare) {
        if (!o.quiet) {
            print_table(con);
            std::printf("\n");
        }
        print_summary("sequential", seq);
        print_summary("concurrent", con);
        std::printf("speed-up: %.1fx\n", con.seconds > 0 ? seq.seconds / con.seconds : 0.0);
        print_chart(seq, con);
    } else {
        const run_result& r = o.sequential ? seq : con;
        if (!o.quiet) {
            print_table(r);
            std::printf("\n");
        }
        print_summary(o.sequential ? "sequential" : "concurrent", r);
    }
}

/// The demo checks what it shows: every page arrived, with its own size, and the concurrent pass
/// beat the sequential one.
bool demo_checks_pass(const fetch_options& o, const run_result& seq, const run_result& con,
                      std::size_t failed) {
    bool ok = failed == 0;
    for (std::size_t i = 0; i < con.results.size(); ++i) {
        ok = ok && con.results[i].bytes == demo_page_size(static_cast<int>(i) + 1);
    }
    if (o.compare && con.concurrency >= 4 && o.demo_delay_ms >= 50) {
        ok = ok && con.seconds * 2 < seq.seconds; // generous: about pages-fold here
    }
    return ok;
}

/// After SIGINT/SIGTERM: prints the URLs that finished (the table and summary of each pass that
/// started, or JSON with "interrupted"), then ends the process by that signal (status 130/143).
[[noreturn]] void report_interrupted(const fetch_options& o, run_result seq, run_result con,
                                     int sig) {
    const char* name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
    // A pass that started has its result slots (fetch_all made them); the unfinished are dropped.
    const bool ran_seq = !seq.results.empty();
    const bool ran_con = !con.results.empty();
    std::size_t finished = 0;
    for (run_result* r : {&seq, &con}) {
        std::erase_if(r->results, [](const result& x) { return !x.done; });
        finished += r->results.size();
    }
    if (o.json) {
        std::printf("{\"interrupted\": \"%s\", \"runs\": [", name);
        bool first = true;
        if (ran_seq) {
            std::printf("%s", run_json("sequential", seq).c_str());
            first = false;
        }
        if (ran_con) {
            std::printf("%s%s", first ? "" : ", ", run_json("concurrent", con).c_str());
        }
        std::printf("]}\n");
    } else {
        for (const auto& [label, r, ran] :
             {std::tuple{"sequential", &seq, ran_seq}, std::tuple{"concurrent", &con, ran_con}}) {
            if (!ran) {
                continue;
            }
            if (!o.quiet) {
                print_table(*r);
                std::printf("\n");
            }
            print_summary(label, *r);
        }
    }
    std::fprintf(stderr, "weft fetch: interrupted by %s: %zu URL(s) finished\n", name, finished);
    weft::exit_by_signal(sig);
}

int run_fetch(fetch_options o) {
    if (o.demo) {
        o.compare = !o.sequential; // the demo is the comparison, unless told otherwise
        if (!o.json) {
            std::printf("weft fetch --demo: a weft::http::server on 127.0.0.1, on the same loop as "
                        "the client, answers each of %d pages after %d ms (a stand-in for a "
                        "far-away server)\n\n",
                        o.demo_pages, o.demo_delay_ms);
        }
    }
    bool stdin_used = false;
    std::vector<std::string> urls;
    for (const std::string& u : o.urls) {
        if (u == "-") {
            stdin_used = true;
        } else {
            urls.push_back(u);
        }
    }
    if (!o.file.empty()) {
        if (o.file == "-") {
            stdin_used = true;
        } else {
            std::ifstream in(o.file);
            if (!in) {
                std::cerr << "weft fetch: cannot read " << o.file << '\n';
                return usage_error;
            }
            auto more = read_urls(in);
            urls.insert(urls.end(), more.begin(), more.end());
        }
    }
    if (stdin_used) {
        auto more = read_urls(std::cin);
        urls.insert(urls.end(), more.begin(), more.end());
    }
    if (urls.empty() && !o.demo) {
        std::cerr << "weft fetch: no URLs (give them as arguments, --file F, - for stdin, or "
                     "--demo)\n";
        return usage_error;
    }

    http::client::options copts;
    copts.timeout = std::chrono::milliseconds(static_cast<long>(o.timeout_s * 1000));
    copts.verify_tls = !o.insecure;
    copts.max_response_bytes = o.max_response_bytes;
    copts.max_header_bytes = o.max_header_bytes;
    copts.keep_body = false; // fetch reports sizes and times: bodies are counted, not kept
    const bool show_progress = !o.quiet && !o.json;

    run_result seq;
    run_result con;
    auto body = [&]() -> task<void> {
        std::unique_ptr<http::server> srv;
        if (o.demo) {
            srv = std::make_unique<http::server>();
            add_demo_pages(*srv, o.demo_pages, std::chrono::milliseconds(o.demo_delay_ms));
            co_await srv->listen("127.0.0.1", 0);
            for (int i = 1; i <= o.demo_pages; ++i) {
                urls.push_back("http://127.0.0.1:" + std::to_string(srv->port()) + "/page/" +
                               std::to_string(i));
            }
        }
        http::client c(copts);
        if (o.compare || o.sequential) {
            co_await fetch_all(c, urls, 1, show_progress, seq);
        }
        if (o.compare || !o.sequential) {
            // A fresh client for the concurrent pass, so that it does not start with the
            // sequential pass's warm connection.
            http::client c2(copts);
            co_await fetch_all(c2, urls, o.concurrency, show_progress, con);
        }
        if (srv) {
            srv->close();
            co_await srv->wait_closed();
        }
    };
    int interrupted_by = 0;
    try {
        weft::run(body(), {.loops = 1, .on_interrupt = weft::interrupt_action::throw_interrupted});
    } catch (const weft::interrupted& e) {
        interrupted_by = e.signal();
    }
    if (interrupted_by != 0) {
        report_interrupted(o, seq, con, interrupted_by); // does not return
    }
    print_results(o, seq, con);
    const std::size_t failed = (o.compare || o.sequential ? failures(seq) : 0) +
                               (o.compare || !o.sequential ? failures(con) : 0);
    if (o.demo && !demo_checks_pass(o, seq, con, failed)) {
        std::fprintf(stderr, "weft fetch --demo: the demo's checks FAILED\n");
        return 1;
    }
    return failed == 0 ? 0 : 1;
}

command add_fetch_command(CLI::App& app) {
    auto o = std::make_shared<fetch_options>();
    CLI::App* sub = app.add_subcommand(
        "fetch", "Fetch URLs with weft's HTTP client, one after another or concurrently");
    sub->add_option("urls", o->urls, "URLs to fetch ('-' reads them from stdin, one a line)");
    sub->add_option("--file,-f", o->file, "Read URLs from a file, one a line ('-' for stdin)");
    sub->add_flag("--sequential", o->sequential, "One request at a time");
    sub->add_flag("--compare", o->compare,
                  "Run the list sequentially, then concurrently, and compare the times");
    sub->add_option("--concurrency,-c", o->concurrency, "Requests in flight at once")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    sub->add_flag("--json", o->json, "Print the results as JSON");
    sub->add_option("--timeout", o->timeout_s, "Per-request limit, in seconds")
        ->check(finite_number())
        ->check(CLI::Range(0.001, 3600.0))
        ->capture_default_str();
    sub->add_option("--max-response-bytes", o->max_response_bytes,
                    "Largest response body accepted, counted after decoding (suffixes k, M, G: "
                    "256M); 0 = no limit; a larger body fails the URL with error_kind too-large")
        ->transform(CLI::AsSizeValue(false))
        ->transform(not_negative()) // CLI11 runs the transform added last first
        ->capture_default_str();
    sub->add_option("--max-header-bytes", o->max_header_bytes,
                    "Largest response head accepted, all of a request's responses together "
                    "(suffixes k, M: 64k); 0 = libcurl's own limits only")
        ->transform(CLI::AsSizeValue(false))
        ->transform(not_negative()) // CLI11 runs the transform added last first
        ->capture_default_str();
    sub->add_flag("--insecure,-k", o->insecure, "Do not verify TLS certificates");
    sub->add_flag("--quiet,-q", o->quiet, "Only the summary");
    sub->add_flag("--demo", o->demo,
                  "Start a local server with slow pages and run --compare against it (no "
                  "internet needed)");
    sub->add_option("--demo-pages", o->demo_pages, "Pages the demo server serves")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    sub->add_option("--demo-delay", o->demo_delay_ms, "The demo server's delay per page, in ms")
        ->check(CLI::Range(0, 10000))
        ->capture_default_str();
    return {sub, [o] { return run_fetch(*o); }};
}

const command_registration registered{30, &add_fetch_command};

} // namespace

} // namespace weft::tools
