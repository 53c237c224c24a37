// `weft fetch`'s options (options.hpp): what each one does, its range, its default, and the
// examples at the end of --help.

#include "options.hpp"

#include "common/cli_checks.hpp"

namespace weft::tools::fetch {

namespace {

void add_request_options(CLI::App& sub, fetch_options& o) {
    sub.add_option("-X,--request", o.method, "HTTP method (default GET, or POST when -d is given)")
        ->type_name("METHOD");
    // allow_extra_args(false): each -H and -d takes one value, so a URL after it stays a URL.
    sub.add_option("-H,--header", o.header, "Request header 'Name: value' (repeatable)")
        ->type_name("HEADER")
        ->allow_extra_args(false);
    sub.add_option("-d,--data", o.data,
                   "Request body: TEXT, or @FILE for a file's bytes, sent as they are; several "
                   "are joined with '&'; at most 64 MiB in all; makes the method POST")
        ->type_name("TEXT|@FILE")
        ->allow_extra_args(false);
    sub.add_option("-o,--output", o.output, "Write the body of the response to FILE (one URL only)")
        ->type_name("FILE");
    sub.add_flag("-v,--verbose", o.verbose,
                 "Print each request ('> ' lines) and response head ('< ' lines) on stderr");
    sub.add_flag("-L,--location", o.follow, "Follow redirects (3xx with Location)");
    sub.add_option("--max-redirs", o.max_redirs,
                   "With -L, the redirects one URL may follow; one more fails it (0: return the "
                   "first 3xx)")
        ->check(CLI::Range(0, 1000))
        ->capture_default_str();
}

void add_limit_options(CLI::App& sub, fetch_options& o) {
    sub.add_option("--timeout", o.timeout_s, "Per-request limit, in seconds")
        ->check(finite_number())
        ->check(CLI::Range(0.001, 3600.0))
        ->capture_default_str();
    sub.add_option("--max-response-bytes", o.max_response_bytes,
                   "Largest response body accepted, counted after decoding (suffixes k, M, G: "
                   "256M); 0 = no limit; a larger body fails the URL with error_kind too-large")
        ->transform(CLI::AsSizeValue(false))
        ->transform(not_negative()) // CLI11 runs the transform added last first
        ->capture_default_str();
    sub.add_option("--max-header-bytes", o.max_header_bytes,
                   "Largest response head accepted, all of a request's responses together "
                   "(suffixes k, M: 64k); 0 = libcurl's own limits only")
        ->transform(CLI::AsSizeValue(false))
        ->transform(not_negative()) // CLI11 runs the transform added last first
        ->capture_default_str();
    sub.add_flag("--insecure,-k", o.insecure, "Do not verify TLS certificates");
}

} // namespace

void add_fetch_options(CLI::App& sub, fetch_options& o) {
    sub.add_option("urls", o.urls,
                   "URLs to fetch; without a scheme, http:// is added ('localhost:8080/x'); '-' "
                   "reads them from stdin, one a line");
    sub.add_option("--file,-f", o.file, "Read URLs from a file, one a line ('-' for stdin)")
        ->type_name("FILE");
    sub.add_flag("--sequential", o.sequential, "One request at a time");
    sub.add_flag("--compare", o.compare,
                 "Run the list sequentially, then concurrently, and compare the times");
    sub.add_option("--concurrency,-c", o.concurrency, "Requests in flight at once")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    add_request_options(sub, o);
    add_limit_options(sub, o);
    sub.add_flag("--json", o.json,
                 "Print the results as JSON (per URL, and per pass: p50/p90/p99, requests/s)");
    sub.add_flag("--quiet,-q", o.quiet, "Only the summary");
    sub.add_flag("--demo", o.demo,
                 "Start a local server with slow pages and run --compare against it (no "
                 "internet needed)");
    sub.add_option("--demo-pages", o.demo_pages, "Pages the demo server serves")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    sub.add_option("--demo-delay", o.demo_delay_ms, "The demo server's delay per page, in ms")
        ->check(CLI::Range(0, 10000))
        ->capture_default_str();
    sub.footer("Examples:\n"
               "  weft fetch https://example.org/ localhost:8080/health\n"
               "  weft fetch -c 64 --file urls.txt --json > results.json\n"
               "  weft fetch -X PUT -H 'Content-Type: application/json' -d @item.json "
               "localhost:8080/items/7\n"
               "  weft fetch -L -o page.html -v http://example.org/old-path\n"
               "  weft fetch --demo\n"
               "Exit status: 0 when every URL got a response (any status), 1 when one failed "
               "(connect, timeout, too-large, ...), 2 for bad arguments or inputs.");
}

} // namespace weft::tools::fetch
