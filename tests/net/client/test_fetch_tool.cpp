// `weft fetch` (tools/fetch) run as a program against a weft::http::server that the test starts
// on 127.0.0.1: per-URL status, bytes and time, --json, --sequential, --concurrency (checked by
// the server counting requests in flight), URLs from a file and from stdin, typed failures and
// the exit status, --compare's totals and chart, and the progress bar on a terminal.

#include "../http/http_test.hpp"

#include <weft/net/http/server.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

using namespace std::chrono_literals;
using weft::http::request;
using weft::http::server_response;
using weft::testing::http::command_result;
using weft::testing::http::count;
using weft::testing::http::run_command_async;
using weft::testing::http::write_temp_file;

namespace {

/// The weft program: $WEFT_EXE (set by meson), else tools/weft of the build tree this test
/// binary is in.
std::string weft_exe() {
    if (const char* e = std::getenv("WEFT_EXE")) {
        return e;
    }
    char self[PATH_MAX] = {};
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    std::string dir(self, n > 0 ? static_cast<std::size_t>(n) : 0);
    for (int i = 0; i < 4 && !dir.empty(); ++i) { // .../tests/net/client/<exe> -> build root
        dir = dir.substr(0, dir.rfind('/'));
    }
    return dir + "/tools/weft";
}

/// Requests in flight on the test server, and the most seen at once.
struct in_flight {
    std::atomic<int> now{0};
    std::atomic<int> most{0};
    std::atomic<int> served{0};
};

/// /page/{n}: n * 100 bytes after `delay`; /missing answers 404 (the router).
void add_pages(weft::http::server& srv, std::shared_ptr<in_flight> f,
               std::chrono::milliseconds delay) {
    srv.route("GET", "/page/{n}", [f, delay](request& req) -> weft::task<server_response> {
        const int now = f->now.fetch_add(1) + 1;
        int most = f->most.load();
        while (now > most && !f->most.compare_exchange_weak(most, now)) {
        }
        co_await weft::sleep(delay);
        f->now.fetch_sub(1);
        f->served.fetch_add(1);
        const int n = std::atoi(std::string(req.param("n")).c_str());
        co_return server_response::text(std::string(static_cast<std::size_t>(n) * 100, 'p'));
    });
}

std::string base(const weft::http::server& srv) {
    return "http://127.0.0.1:" + std::to_string(srv.port());
}

/// The URLs of /page/1 to /page/n on srv, each followed by a space.
std::string page_urls(const weft::http::server& srv, int n) {
    std::string urls;
    for (int i = 1; i <= n; ++i) {
        urls += base(srv) + "/page/" + std::to_string(i) + " ";
    }
    return urls;
}

/// Reads `weft fetch --json`'s output from a file and prints one line per run and per result
/// (path, status, bytes, error kind); exits non-zero when the output is not valid JSON.
constexpr std::string_view summarise_py = R"(
import json, sys, urllib.parse
d = json.load(open(sys.argv[1]))
for run in d["runs"]:
    print(run["mode"], run["concurrency"], len(run["results"]), run["seconds"] >= 0)
    for r in run["results"]:
        print(urllib.parse.urlsplit(r["url"]).path, r["status"], r["bytes"],
              r.get("error_kind", "-"), r["seconds"] >= 0)
if "speedup" in d:
    print("speedup", d["speedup"] > 0)
)";

/// Runs `weft fetch ARGS --json`, and returns the summary lines and "exit=N".
weft::task<command_result> fetch_json(std::string args, std::string stdin_text = {}) {
    const std::string out = write_temp_file("fetch.json", "");
    const std::string py = write_temp_file("summarise.py", summarise_py);
    std::string cmd = weft_exe() + " fetch --json " + args;
    if (!stdin_text.empty()) {
        const std::string in = write_temp_file("urls.stdin", stdin_text);
        cmd += " < " + in;
    }
    cmd += " > " + out + "; code=$?; /usr/bin/python3 " + py + " " + out + "; echo exit=$code";
    command_result r = co_await run_command_async(cmd);
    std::remove(out.c_str());
    std::remove(py.c_str());
    co_return r;
}

} // namespace

WEFT_CO_TEST(weft_fetch, urls_as_arguments_print_status_bytes_and_time_as_json) {
    auto f = std::make_shared<in_flight>();
    weft::http::server srv;
    add_pages(srv, f, 0ms);
    co_await srv.listen("127.0.0.1", 0);
    const std::string b = base(srv);
    const command_result r = co_await fetch_json(b + "/page/1 " + b + "/page/3 " + b + "/missing");
    EXPECT_EQ(r.out, "concurrent 3 3 True\n"
                     "/page/1 200 100 - True\n"
                     "/page/3 200 300 - True\n"
                     "/missing 404 10 - True\n"
                     "exit=0\n");
    srv.close();
    co_await srv.wait_closed();
}

WEFT_CO_TEST(weft_fetch, sequential_and_concurrency_limits_are_kept) {
    auto f = std::make_shared<in_flight>();
    weft::http::server srv;
    add_pages(srv, f, 50ms);
    co_await srv.listen("127.0.0.1", 0);
    const std::string urls = page_urls(srv, 9);
    command_result r = co_await fetch_json("--sequential " + urls);
    EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "sequential 1 9 True");
    EXPECT_NE(r.out.find("exit=0\n"), std::string::npos) << r.out;
    EXPECT_EQ(f->most.load(), 1) << "--sequential had requests in flight at once";
    f->most = 0;
    r = co_await fetch_json("--concurrency 3 " + urls);
    EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "concurrent 3 9 True");
    EXPECT_NE(r.out.find("/page/9 200 900 - True\n"), std::string::npos) << r.out;
    EXPECT_EQ(f->most.load(), 3) << "--concurrency 3";
    EXPECT_EQ(f->served.load(), 18);
    srv.close();
    co_await srv.wait_closed();
}

WEFT_CO_TEST(weft_fetch, urls_from_a_file_and_from_stdin) {
    auto f = std::make_shared<in_flight>();
    weft::http::server srv;
    add_pages(srv, f, 0ms);
    co_await srv.listen("127.0.0.1", 0);
    const std::string b = base(srv);
    const std::string file = write_temp_file("urls.txt", "# pages\n" + b + "/page/2\n\n   " + b +
                                                             "/page/4  \r\n# the end\n");
    command_result r = co_await fetch_json("--file " + file);
    EXPECT_EQ(r.out, "concurrent 2 2 True\n"
                     "/page/2 200 200 - True\n"
                     "/page/4 200 400 - True\n"
                     "exit=0\n");
    // '-' reads the list from stdin, after the URLs given as arguments.
    r = co_await fetch_json(b + "/page/1 -", b + "/page/5\n" + b + "/page/6\n");
    EXPECT_EQ(r.out, "concurrent 3 3 True\n"
                     "/page/1 200 100 - True\n"
                     "/page/5 200 500 - True\n"
                     "/page/6 200 600 - True\n"
                     "exit=0\n");
    std::remove(file.c_str());
    // A file that cannot be read is a usage error.
    const command_result bad = co_await run_command_async(
        weft_exe() + " fetch --file /nonexistent/urls.txt 2>&1; echo exit=$?");
    EXPECT_NE(bad.out.find("cannot read /nonexistent/urls.txt"), std::string::npos) << bad.out;
    EXPECT_NE(bad.out.find("exit=2\n"), std::string::npos) << bad.out;
    srv.close();
    co_await srv.wait_closed();
}

WEFT_CO_TEST(weft_fetch, failures_are_typed_and_make_the_exit_status_1) {
    auto f = std::make_shared<in_flight>();
    weft::http::server srv;
    add_pages(srv, f, 0ms);
    co_await srv.listen("127.0.0.1", 0);
    const std::string b = base(srv);
    // Port 1 on 127.0.0.1: nothing listens there (a privileged port no test binds).
    const command_result r =
        co_await fetch_json(b + "/page/1 http://127.0.0.1:1/x " + b + "/page/2");
    EXPECT_EQ(r.out, "concurrent 3 3 True\n"
                     "/page/1 200 100 - True\n"
                     "/x 0 0 connect True\n"
                     "/page/2 200 200 - True\n"
                     "exit=1\n");
    // A URL weft fetch cannot fetch at all is a bad input: exit status 2 before any request.
    const command_result ftp = co_await run_command_async(
        weft_exe() + " fetch " + b + "/page/1 ftp://127.0.0.1/ftp 2>&1; echo exit=$?");
    EXPECT_NE(ftp.out.find("unsupported scheme \"ftp\""), std::string::npos) << ftp.out;
    EXPECT_NE(ftp.out.find("exit=2\n"), std::string::npos) << ftp.out;
    // The table names the kind and the error, with the URL.
    const command_result t = co_await run_command_async(
        weft_exe() + " fetch " + b + "/page/1 http://127.0.0.1:1/x; echo exit=$?");
    EXPECT_NE(t.out.find("connect "), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("http://127.0.0.1:1/x"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("1 failed"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("exit=1\n"), std::string::npos) << t.out;
    srv.close();
    co_await srv.wait_closed();
}

WEFT_CO_TEST(weft_fetch, compare_prints_both_totals_the_speed_up_and_a_chart) {
    auto f = std::make_shared<in_flight>();
    weft::http::server srv;
    add_pages(srv, f, 100ms);
    co_await srv.listen("127.0.0.1", 0);
    const std::string urls = page_urls(srv, 4);
    const command_result r =
        co_await run_command_async(weft_exe() + " fetch --compare " + urls + "; echo exit=$?");
    EXPECT_NE(r.out.find("sequential: 4 URLs, 1000 bytes, 0 failed"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("concurrent: 4 URLs, 1000 bytes, 0 failed"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("speed-up: "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("  sequential  \u2588"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("  concurrent  \u2588"), std::string::npos) << r.out;
    // The per-URL table of the concurrent run: status, bytes, time, URL.
    EXPECT_NE(r.out.find("status  bytes     time  url\n---"), std::string::npos) << r.out;
    EXPECT_EQ(count(r.out, "ms  " + base(srv) + "/page/"), 4u) << r.out;
    EXPECT_NE(r.out.find("exit=0\n"), std::string::npos) << r.out;
    // Four pages of 100 ms each one after another take at least 400 ms; concurrently they take
    // about 100 ms. The JSON form carries the speed-up.
    const command_result j = co_await fetch_json("--compare " + urls);
    EXPECT_EQ(j.out.substr(0, j.out.find('\n')), "sequential 1 4 True");
    EXPECT_NE(j.out.find("concurrent 4 4 True\n"), std::string::npos) << j.out;
    EXPECT_NE(j.out.find("speedup True\n"), std::string::npos) << j.out;
    EXPECT_EQ(f->most.load(), 4);
    srv.close();
    co_await srv.wait_closed();
}

// SIGINT while a request hangs: the URLs that finished are printed, and the process then dies by
// SIGINT (the shell's status 130), as a Python program does after KeyboardInterrupt.
WEFT_CO_TEST(weft_fetch, sigint_prints_what_finished_then_dies_by_sigint) {
    auto f = std::make_shared<in_flight>();
    weft::http::server srv;
    add_pages(srv, f, 0ms);
    weft::event hanging;
    weft::event release;
    srv.route("GET", "/hang", [&](request&) -> weft::task<server_response> {
        hanging.set();
        co_await release.wait();
        co_return server_response::text("late");
    });
    co_await srv.listen("127.0.0.1", 0);
    const std::string b = base(srv);
    const std::string pid_file = write_temp_file("fetch.pid", "");
    // The inner shell writes its pid, then becomes weft fetch (exec): that pid gets the signal.
    auto run = weft::create_task(run_command_async(
        "sh -c 'echo $$ > " + pid_file + "; exec " + weft_exe() + " fetch --sequential " + b +
        "/page/1 " + b + "/page/2 " + b + "/hang " + b + "/page/3' 2>&1; echo exit=$?"));
    co_await hanging.wait(); // /page/1 and /page/2 are done (one at a time, in order)
    std::ifstream in(pid_file);
    long pid = 0;
    in >> pid;
    WEFT_CO_ASSERT_GT(pid, 0);
    ::kill(static_cast<pid_t>(pid), SIGINT);
    const command_result r = co_await run;
    release.set();
    std::remove(pid_file.c_str());
    EXPECT_NE(r.out.find("200       100"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(b + "/page/1\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(b + "/page/2\n"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find(b + "/page/3"), std::string::npos) << r.out; // never started
    EXPECT_NE(r.out.find("sequential: 2 URLs, 300 bytes, 0 failed"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("interrupted by SIGINT: 2 URLs finished"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("exit=130\n"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("terminate called"), std::string::npos) << r.out;
    srv.close();
    co_await srv.wait_closed();
}

// Sizes for the client's limits, and a body over the limit failing its URL with a kind of its own.
WEFT_CO_TEST(weft_fetch, max_response_bytes_takes_sizes_and_fails_larger_bodies) {
    auto f = std::make_shared<in_flight>();
    weft::http::server srv;
    add_pages(srv, f, 0ms);
    co_await srv.listen("127.0.0.1", 0);
    const std::string b = base(srv);
    // /page/3 has 300 bytes: over a limit of 250, under one of 1k.
    const command_result small =
        co_await fetch_json("--max-response-bytes 250 " + b + "/page/1 " + b + "/page/3");
    EXPECT_EQ(small.out, "concurrent 2 2 True\n"
                         "/page/1 200 100 - True\n"
                         "/page/3 0 0 too-large True\n"
                         "exit=1\n");
    const command_result roomy = co_await fetch_json("--max-response-bytes 1k --max-header-bytes "
                                                     "64K " +
                                                     b + "/page/3");
    EXPECT_EQ(roomy.out, "concurrent 1 1 True\n/page/3 200 300 - True\nexit=0\n");
    srv.close();
    co_await srv.wait_closed();
}

// Numbers that are not numbers: exit status 2 and a message, as for any bad value.
WEFT_CO_TEST(weft_fetch, nan_and_infinite_options_are_usage_errors) {
    for (const char* bad : {"--timeout nan", "--timeout inf", "--timeout -inf", "--timeout -1",
                            "--max-response-bytes -1", "--max-response-bytes lots",
                            "--max-header-bytes 1Q", "--max-header-bytes=-5k"}) {
        const command_result r = co_await run_command_async(
            weft_exe() + " fetch " + bad + " http://127.0.0.1:1/ 2>&1; echo exit=$?");
        EXPECT_NE(r.out.find("exit=2\n"), std::string::npos) << bad << ": " << r.out;
        EXPECT_NE(r.out.find("--"), std::string::npos) << bad << ": " << r.out; // names the option
    }
}

// On a terminal (script(1) provides one) a long list draws a progress bar on stderr.
namespace {

weft::task<void> progress_bar_on_a_terminal() {
    auto f = std::make_shared<in_flight>();
    weft::http::server srv;
    add_pages(srv, f, 0ms);
    co_await srv.listen("127.0.0.1", 0);
    std::string list;
    for (int i = 0; i < 25; ++i) {
        list += base(srv) + "/page/1\n";
    }
    const std::string file = write_temp_file("many.txt", list);
    const command_result tty = co_await run_command_async("/usr/bin/script -qec '" + weft_exe() +
                                                          " fetch --file " + file + "' /dev/null");
    EXPECT_NE(tty.out.find("[##############################] 100%  fetching  concurrent 25/25"),
              std::string::npos)
        << tty.out;
    // Not on a terminal: no bar.
    const command_result piped =
        co_await run_command_async(weft_exe() + " fetch --file " + file + " 2>&1");
    EXPECT_EQ(piped.out.find("25/25"), std::string::npos) << piped.out;
    EXPECT_NE(piped.out.find("concurrent: 25 URLs, 2500 bytes, 0 failed"), std::string::npos)
        << piped.out;
    std::remove(file.c_str());
    srv.close();
    co_await srv.wait_closed();
}

} // namespace

TEST(weft_fetch, a_progress_bar_on_a_terminal) {
    if (::access("/usr/bin/script", X_OK) != 0) {
        GTEST_SKIP() << "script(1) is not installed";
    }
    weft::testing::detail::run_test_body(progress_bar_on_a_terminal(), 1);
}
