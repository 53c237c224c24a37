// `weft fetch`: fetch URLs with weft::http::client, one after another or many at once, and print
// per URL the status, size and time, then a summary with latency percentiles and rates; --compare
// runs both ways and charts them; --demo does that against a local weft::http::server it starts
// itself on the same loop (no internet needed). curl's everyday options shape the request (-X,
// -H, -d, -L) and what is kept of it (-o, -v).
// SIGINT/SIGTERM stop it: it prints what finished so far, then dies by that signal (130/143).
//
// This file runs the command: it checks the inputs (inputs.cpp), runs the passes
// (requests.cpp) and prints them (report.cpp, json_report.cpp); options.cpp holds the options.

#include "commands.hpp"
#include "common/format.hpp"
#include "common/terminal.hpp"
#include "demo.hpp"
#include "inputs.hpp"
#include "json_report.hpp"
#include "options.hpp"
#include "report.hpp"
#include "requests.hpp"

#include <weft/net/http/client.hpp>
#include <weft/net/http/server.hpp>
#include <weft/weft.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <sys/stat.h>

namespace weft::tools::fetch {

namespace {

/// The URLs of the arguments, --file and stdin ('-'), each made whole (http:// added).
/// @throws input_error for a file that cannot be read and for a bad URL.
std::vector<std::string> collect_urls(const fetch_options& o) {
    bool stdin_used = o.file == "-";
    std::vector<std::string> raw;
    for (const std::string& u : o.urls) {
        if (u == "-") {
            stdin_used = true;
        } else {
            raw.push_back(u);
        }
    }
    if (raw.size() > max_urls) {
        throw input_error("more than " + std::to_string(max_urls) + " URLs");
    }
    if (!o.file.empty() && o.file != "-") {
        auto more = read_url_file(o.file, raw.size());
        raw.insert(raw.end(), more.begin(), more.end());
    }
    if (stdin_used) {
        auto more = read_url_lines(std::cin, "stdin", raw.size());
        raw.insert(raw.end(), more.begin(), more.end());
    }
    std::vector<std::string> urls;
    urls.reserve(raw.size());
    for (const std::string& u : raw) {
        urls.push_back(normalise_url(u));
    }
    return urls;
}

http::client::options client_options(const fetch_options& o) {
    http::client::options copts;
    copts.timeout = std::chrono::milliseconds(static_cast<long>(o.timeout_s * 1000));
    copts.verify_tls = !o.insecure;
    copts.max_response_bytes = o.max_response_bytes;
    copts.max_header_bytes = o.max_header_bytes;
    copts.max_redirects = o.follow ? o.max_redirs : 0; // as curl: redirects only with -L
    // fetch reports sizes and times: bodies are counted and dropped, unless -o keeps one.
    copts.keep_body = !o.output.empty();
    return copts;
}

/// -o FILE: written after the fetch; checked before it, so that a path that cannot be written is
/// a usage error and no request goes out. Remembers whether the file was there, so that a failed
/// fetch leaves no new empty file behind.
class output_file {
public:
    explicit output_file(std::string path) : path_(std::move(path)) {
        if (path_.empty()) {
            return;
        }
        if (path_ == "-") {
            throw input_error("-o -: the report goes to stdout; give -o a file for the body");
        }
        struct stat st {};
        existed_ = ::stat(path_.c_str(), &st) == 0;
        std::FILE* f = std::fopen(path_.c_str(), "ab"); // creates it, truncates nothing
        if (f == nullptr) {
            throw input_error("-o " + path_ + ": " + std::strerror(errno));
        }
        std::fclose(f);
    }

    /// Writes the body (ok) or removes a file this run created (!ok). Returns false, with a
    /// message, when the write fails.
    bool finish(bool ok, const std::string& body) const {
        if (path_.empty()) {
            return true;
        }
        if (!ok) {
            if (!existed_) {
                std::remove(path_.c_str());
            }
            return true;
        }
        std::FILE* f = std::fopen(path_.c_str(), "wb");
        const bool written =
            f != nullptr && std::fwrite(body.data(), 1, body.size(), f) == body.size();
        const int err = errno;
        if (f != nullptr && std::fclose(f) != 0 && written) {
            std::fprintf(stderr, "weft fetch: -o %s: %s\n", path_.c_str(), std::strerror(errno));
            return false;
        }
        if (!written) {
            std::fprintf(stderr, "weft fetch: -o %s: %s\n", path_.c_str(), std::strerror(err));
        }
        return written;
    }

private:
    std::string path_;
    bool existed_ = false;
};

/// The table (unless -q) and summary of each pass that ran; after a comparison, the concurrent
/// pass's table only, then the speed-up and the chart.
void print_text(const fetch_options& o, const run_result* seq, const run_result* con,
                bool compared) {
    const std::size_t width = terminal_columns(stdout);
    std::string out;
    for (const auto& [label, r] : {std::pair{"sequential", seq}, std::pair{"concurrent", con}}) {
        if (r == nullptr) {
            continue;
        }
        if (!o.quiet && (!compared || r == con)) {
            out += table_text(*r, width) + "\n";
        }
        if (!compared) {
            out += summary_text(label, *r, width);
        }
    }
    if (compared && seq != nullptr && con != nullptr) {
        out += summary_text("sequential", *seq, width) + summary_text("concurrent", *con, width);
        out += wrap(fmt("speed-up: %.1fx", con->seconds > 0 ? seq->seconds / con->seconds : 0.0),
                    width);
        out += chart_text(*seq, *con, width);
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
}

/// After SIGINT/SIGTERM: prints the URLs that finished (the table and summary of each pass that
/// started, or JSON with "interrupted"), then ends the process by that signal (status 130/143).
[[noreturn]] void report_interrupted(const fetch_options& o, run_result seq, run_result con,
                                     int sig) {
    const char* name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
    // A pass that started has its result slots (fetch_all made them); the unfinished are dropped.
    const run_result* ran_seq = seq.results.empty() ? nullptr : &seq;
    const run_result* ran_con = con.results.empty() ? nullptr : &con;
    std::size_t finished = 0;
    for (run_result* r : {&seq, &con}) {
        std::erase_if(r->results, [](const result& x) { return !x.done; });
        finished += r->results.size();
    }
    if (o.json) {
        const std::string doc = json_report(ran_seq, ran_con, name);
        std::fwrite(doc.data(), 1, doc.size(), stdout);
    } else {
        print_text(o, ran_seq, ran_con, false);
    }
    std::fflush(stdout);
    std::fprintf(stderr, "weft fetch: interrupted by %s: %s finished\n", name,
                 count_of(finished, "URL").c_str());
    weft::exit_by_signal(sig);
}

/// Runs the passes (and the demo's server) on one loop.
task<void> run_passes(const fetch_options& o, std::vector<std::string>& urls,
                      const pass_settings& how, run_result& seq, run_result& con) {
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
    const http::client::options copts = client_options(o);
    if (o.compare || o.sequential) {
        http::client c(copts);
        pass_settings s = how;
        s.mode = "sequential";
        co_await fetch_all(c, urls, 1, s, seq);
    }
    if (o.compare || !o.sequential) {
        // A fresh client for the concurrent pass, so that it does not start with the sequential
        // pass's warm connection.
        http::client c(copts);
        pass_settings s = how;
        s.mode = "concurrent";
        s.body = o.compare ? nullptr : how.body;
        co_await fetch_all(c, urls, o.concurrency, s, con);
    }
    if (srv) {
        srv->close();
        co_await srv->wait_closed();
    }
}

int run_fetch(fetch_options o) {
    if (o.demo) {
        o.compare = !o.sequential; // the demo is the comparison, unless told otherwise
    }
    std::vector<std::string> urls;
    request_spec spec;
    std::unique_ptr<output_file> output;
    try {
        spec = build_request(o);
        urls = collect_urls(o);
        if (urls.empty() && !o.demo) {
            throw input_error("no URLs (give them as arguments, --file F, - for stdin, or --demo)");
        }
        if (!o.output.empty() && (urls.size() != 1 || o.demo)) {
            throw input_error("-o writes the body of one URL, and " +
                              count_of(o.demo ? o.demo_pages : urls.size(), "URL") +
                              " were given (fetch them one at a time to keep each body)");
        }
        output = std::make_unique<output_file>(o.output);
    } catch (const input_error& e) {
        std::cerr << "weft fetch: " << e.what() << '\n';
        return usage_error;
    }
    if (o.demo && !o.json) {
        std::printf("weft fetch --demo: a weft::http::server on 127.0.0.1, on the same loop as the "
                    "client, answers each of %d pages after %d ms (a stand-in for a far-away "
                    "server)\n\n",
                    o.demo_pages, o.demo_delay_ms);
        std::fflush(stdout);
    }

    std::string body;
    pass_settings how{.spec = &spec,
                      .verbose = o.verbose,
                      .progress = !o.quiet && !o.json && !o.verbose,
                      .mode = {},
                      .body = o.output.empty() ? nullptr : &body};
    run_result seq;
    run_result con;
    int interrupted_by = 0;
    try {
        weft::run(run_passes(o, urls, how, seq, con),
                  {.loops = 1, .on_interrupt = weft::interrupt_action::throw_interrupted});
    } catch (const weft::interrupted& e) {
        interrupted_by = e.signal();
    }
    if (interrupted_by != 0) {
        output->finish(false, body);
        report_interrupted(o, seq, con, interrupted_by); // does not return
    }
    const run_result* ran_seq = o.compare || o.sequential ? &seq : nullptr;
    const run_result* ran_con = o.compare || !o.sequential ? &con : nullptr;
    if (o.json) {
        const std::string doc = json_report(ran_seq, ran_con, "");
        std::fwrite(doc.data(), 1, doc.size(), stdout);
    } else {
        print_text(o, ran_seq, ran_con, o.compare);
    }
    const std::size_t failed = (ran_seq != nullptr ? summarise(seq).failed : 0) +
                               (ran_con != nullptr ? summarise(con).failed : 0);
    const bool written = output->finish(failed == 0, body);
    if (o.demo && !demo_checks_pass(o, seq, con, failed)) {
        std::fprintf(stderr, "weft fetch --demo: the demo's checks FAILED\n");
        return 1;
    }
    return failed == 0 && written ? 0 : 1;
}

command add_fetch_command(CLI::App& app) {
    auto o = std::make_shared<fetch_options>();
    CLI::App* sub = app.add_subcommand(
        "fetch", "Fetch URLs with weft's HTTP client, one after another or concurrently");
    add_fetch_options(*sub, *o);
    return {sub, [o] { return run_fetch(*o); }};
}

const command_registration registered{30, &add_fetch_command};

} // namespace

} // namespace weft::tools::fetch
