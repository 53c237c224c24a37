// weft::metrics: the text exposition of loops, the default executor, exported executors and HTTP
// servers, and the application's own registry; served by server::route_metrics() and checked by
// promtool (Prometheus's own linter and parser).

#include "http_test.hpp"

#include <weft/executors/run_in_executor.hpp>
#include <weft/executors/thread_pool.hpp>
#include <weft/net/http/server.hpp>
#include <weft/net/metrics.hpp>
#include <weft/runtime/error.hpp>
#include <weft/testing/co_test.hpp>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>
#include <stdexcept>
#include <string>

using weft::http::request;
using weft::http::server;
using weft::http::server_response;
using namespace weft::testing::http;

namespace {

// The value of the sample whose line starts with `series ` (name and labels, exactly as
// exposed), or -1 when there is none.
double sample(const std::string& text, const std::string& series) {
    const std::string start = series + " ";
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t end = std::min(text.find('\n', pos), text.size());
        const std::string_view line(text.data() + pos, end - pos);
        if (line.starts_with(start)) {
            return std::stod(std::string(line.substr(start.size())));
        }
        pos = end + 1;
    }
    return -1;
}

// promtool's verdict on an exposition: "" when it finds nothing wrong.
weft::task<std::string> promtool_problems(const std::string& text) {
    const char* tool = std::getenv("WEFT_PROMTOOL");
    if (tool == nullptr || *tool == '\0') {
        co_return "promtool not found: install Debian's prometheus package "
                  "(scripts/install-deps.sh)";
    }
    const std::string path = write_temp_file("metrics.txt", text);
    command_result r =
        co_await run_command_async(std::string(tool) + " check metrics < " + path + " 2>&1");
    ::unlink(path.c_str());
    co_return r.exit_code == 0 ? "" : "promtool exit " + std::to_string(r.exit_code) + ": " + r.out;
}

// GET path on a fresh connection; the response's body (the server closes after it).
weft::task<std::string> get_body(std::uint16_t port, const std::string& path) {
    std::string resp = co_await exchange(
        port, "GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    const std::size_t at = resp.find("\r\n\r\n");
    co_return at == std::string::npos ? "" : resp.substr(at + 4);
}

} // namespace

WEFT_CO_TEST_LOOPS(metrics, text_has_every_loop_and_the_default_executor_and_passes_promtool, 2) {
    // (No call on the default executor here: oneTBB's hand-offs are not instrumented for
    // ThreadSanitizer, which runs these tests too. A thread_pool's counters are checked below.)
    const std::string text = weft::metrics::text();
    EXPECT_GE(sample(text, "weft_loop_tasks_created_total{loop=\"0\"}"), 1);
    EXPECT_GE(sample(text, "weft_loop_steps_total{loop=\"1\"}"), 0);
    EXPECT_EQ(sample(text, "weft_executor_calls_running{executor=\"default\"}"), 0);
    EXPECT_GE(sample(text, "weft_executor_max_workers{executor=\"default\"}"), 1);
    EXPECT_NE(text.find("# TYPE weft_loop_longest_step_seconds gauge"), std::string::npos);
    EXPECT_EQ(co_await promtool_problems(text), "");
}

WEFT_CO_TEST(metrics, an_exported_executor_appears_while_its_handle_lives) {
    weft::thread_pool pool({.threads = 2});
    {
        weft::metrics::exported h = weft::metrics::export_executor(pool, "blocking");
        for (int i = 0; i < 5; ++i) {
            co_await weft::run_in_executor(pool, [] { return 0; });
        }
        EXPECT_THROW((void)weft::metrics::export_executor(pool, "blocking"), weft::error);
        const std::string text = weft::metrics::text();
        EXPECT_EQ(sample(text, "weft_executor_calls_completed_total{executor=\"blocking\"}"), 5);
        EXPECT_EQ(sample(text, "weft_executor_max_workers{executor=\"blocking\"}"), 2);
        EXPECT_EQ(co_await promtool_problems(text), "");
    }
    EXPECT_EQ(sample(weft::metrics::text(), "weft_executor_max_workers{executor=\"blocking\"}"),
              -1);
    EXPECT_THROW((void)weft::metrics::export_executor(pool, "default"), weft::error);
    EXPECT_THROW((void)weft::metrics::export_executor(pool, ""), weft::error);
    pool.shutdown(true, false);
}

WEFT_CO_TEST_LOOPS(metrics, route_metrics_serves_server_counters_and_the_applications_own, 2) {
    auto& hits = prometheus::BuildCounter()
                     .Name("app_hits_total")
                     .Help("Hits counted by the test application.")
                     .Register(*weft::metrics::registry())
                     .Add({{"kind", "test"}});
    hits.Increment(3);
    server srv;
    srv.route("GET", "/items/{id}", [](request&) -> weft::task<server_response> {
        co_return server_response::text("item");
    });
    srv.route_metrics("/metrics", {.server_label = "api"});
    co_await srv.listen("127.0.0.1", 0);
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(co_await get_body(srv.port(), "/items/" + std::to_string(i)), "item");
    }
    EXPECT_EQ(co_await get_body(srv.port(), "/nowhere"), "Not Found\n");
    const std::string text = co_await get_body(srv.port(), "/metrics");
    // Five responses before this one; the scrape's own is counted after its text was made.
    EXPECT_EQ(sample(text, "weft_http_responses_total{server=\"api\"}"), 5) << text;
    EXPECT_EQ(sample(text, "weft_http_errors_total{server=\"api\",kind=\"not_found\"}"), 1);
    EXPECT_EQ(sample(text, "weft_http_connections_total{server=\"api\"}"), 6);
    EXPECT_EQ(sample(text, "app_hits_total{kind=\"test\"}"), 3);
    EXPECT_GE(sample(text, "weft_loop_steps_total{loop=\"1\"}"), 0);
    EXPECT_EQ(co_await promtool_problems(text), "");
    srv.close();
    co_await srv.wait_closed();
}

WEFT_CO_TEST_LOOPS(metrics, request_durations_are_labelled_by_pattern_method_and_status, 2) {
    server srv;
    srv.route("GET", "/items/{id}", [](request&) -> weft::task<server_response> {
        co_return server_response::text("item");
    });
    srv.route("POST", "/items/{id}",
              [](request&) -> weft::task<server_response> { throw std::runtime_error("refused"); });
    srv.route_metrics("/metrics", {.server_label = "timed", .buckets = {0.001, 60}});
    co_await srv.listen("127.0.0.1", 0);
    for (int i = 0; i < 3; ++i) {
        (void)co_await get_body(srv.port(), "/items/" + std::to_string(i));
    }
    (void)co_await exchange(srv.port(), "POST /items/1 HTTP/1.1\r\nHost: t\r\nContent-Length: "
                                        "0\r\nConnection: close\r\n\r\n");
    (void)co_await get_body(srv.port(), "/a/path/no/route/has");
    // A method no client should make a series of its own.
    (void)co_await exchange(srv.port(),
                            "BREW /pot HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    const std::string text = co_await get_body(srv.port(), "/metrics");
    const std::string items =
        "weft_http_request_duration_seconds_count{server=\"timed\",route=\"/items/{id}\",";
    EXPECT_EQ(sample(text, items + "method=\"GET\",code=\"200\"}"), 3) << text;
    EXPECT_EQ(sample(text, items + "method=\"POST\",code=\"500\"}"), 1);
    // Every GET took less than a minute: the 60 s bucket holds all three, +Inf the same.
    const std::string bucket = "weft_http_request_duration_seconds_bucket{server=\"timed\",route="
                               "\"/items/{id}\",method=\"GET\",code=\"200\",";
    EXPECT_EQ(sample(text, bucket + "le=\"60\"}"), 3);
    EXPECT_EQ(sample(text, bucket + "le=\"+Inf\"}"), 3);
    const std::string none =
        "weft_http_request_duration_seconds_count{server=\"timed\",route=\"(none)\",";
    EXPECT_EQ(sample(text, none + "method=\"GET\",code=\"404\"}"), 1);
    EXPECT_EQ(sample(text, none + "method=\"other\",code=\"404\"}"), 1);
    EXPECT_EQ(text.find("BREW"), std::string::npos);
    EXPECT_EQ(co_await promtool_problems(text), "");
    srv.close();
    co_await srv.wait_closed();
}

WEFT_CO_TEST(metrics, route_metrics_refuses_bad_buckets_a_second_call_and_a_listening_server) {
    server srv;
    EXPECT_THROW(srv.route_metrics("/m", {.buckets = {0.1, 0.05}}), weft::error);
    EXPECT_THROW(srv.route_metrics("/m", {.buckets = {-1}}), weft::error);
    srv.route_metrics("/m", {.server_label = "refusals"});
    EXPECT_THROW(srv.route_metrics("/m2", {.server_label = "other"}), weft::error);
    server other;
    co_await other.listen("127.0.0.1", 0);
    EXPECT_THROW(other.route_metrics("/metrics", {.server_label = "late"}), weft::error);
    other.close();
    co_await other.wait_closed();
}

WEFT_CO_TEST(metrics, a_destroyed_server_is_no_longer_exported) {
    {
        server srv;
        srv.route_metrics("/metrics", {.server_label = "short-lived"});
        EXPECT_EQ(
            sample(weft::metrics::text(), "weft_http_responses_total{server=\"short-lived\"}"), 0);
    }
    EXPECT_EQ(sample(weft::metrics::text(), "weft_http_responses_total{server=\"short-lived\"}"),
              -1);
    co_return;
}
