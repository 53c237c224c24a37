// The reports of a run: JSON (parsed back with nlohmann), CSV, HTML (well-formed, with its
// charts), the terminal table and the progress bar.

#include "report_html.hpp"
#include "report_json_csv.hpp"
#include "report_table.hpp"
#include "runner.hpp"


#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

using namespace weft::stress;

namespace {

/// A made-up report: two executors over three concurrency levels, one failure.
run_report sample() {
    run_report r;
    r.version = "0.1.0";
    r.workload = "cpu:50";
    r.loops = 1;
    r.hardware_threads = 2;
    for (const char* target : {"tbb:4", "threads:2"}) {
        for (std::size_t c : {1, 8, 64}) {
            cell_result x;
            x.target = target;
            x.workload = "cpu:50";
            x.pool_size = target[0] == 't' && target[1] == 'b' ? 4 : 2;
            x.concurrency = c;
            x.submitted = x.completed = 1000;
            x.wall_s = 0.1;
            x.throughput = 1000.0 * static_cast<double>(c) / (static_cast<double>(c) + 1);
            x.p50_us = 50;
            x.p90_us = 60;
            x.p99_us = 80 * static_cast<double>(c);
            x.p999_us = 90 * static_cast<double>(c);
            x.max_us = 100 * static_cast<double>(c);
            x.workers_used = 2;
            x.balance = 0.9;
            r.cells.push_back(x);
        }
    }
    r.cells[4].lost = 2; // threads:2 at 8: two calls lost
    r.idle.push_back({"tbb:4", 1.0, 0.0001, 0.0002, 0.01});
    r.advice =
        recommendation{"threads:2", 2, 64, 984, "tbb:4", 64, 984, "because <reasons> & more"};
    judge(r);
    return r;
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

/// Checks that the elements of an HTML page nest properly; returns the first problem, or "".
std::string nesting_problem(const std::string& html) {
    std::vector<std::string> open;
    for (std::size_t at = html.find('<'); at != std::string::npos; at = html.find('<', at + 1)) {
        const std::size_t end = html.find('>', at);
        if (end == std::string::npos) {
            return "unterminated tag";
        }
        std::string tag = html.substr(at + 1, end - at - 1);
        if (tag.starts_with("!")) {
            continue; // doctype
        }
        const bool closing = tag.starts_with("/");
        if (closing) {
            tag.erase(0, 1);
        }
        const std::string name = tag.substr(0, tag.find_first_of(" \n/"));
        if (name == "meta") {
            continue; // a void element
        }
        if (tag.ends_with("/")) {
            continue; // self-closing
        }
        if (!closing) {
            open.push_back(name);
        } else if (open.empty() || open.back() != name) {
            return "</" + name + "> closes <" +
                   (open.empty() ? std::string("nothing") : open.back()) + ">";
        } else {
            open.pop_back();
        }
    }
    return open.empty() ? "" : "<" + open.back() + "> is never closed";
}

} // namespace

TEST(stress_reports, json_has_every_cell_and_field) {
    const run_report r = sample();
    const nlohmann::json j = nlohmann::json::parse(format_json(r));
    EXPECT_EQ(j["weft"], "0.1.0");
    EXPECT_EQ(j["workload"], "cpu:50");
    EXPECT_EQ(j["ok"], false);
    ASSERT_EQ(j["cells"].size(), 6u);
    const auto& c = j["cells"][4];
    EXPECT_EQ(c["executor"], "threads:2");
    EXPECT_EQ(c["concurrency"], 8);
    EXPECT_EQ(c["lost"], 2);
    EXPECT_EQ(c["exactly_once"], false);
    for (const char* key :
         {"executor",     "workload",     "scenario",     "workers",      "concurrency",
          "offered_rate", "submitted",    "completed",    "errors",       "crashes",
          "lost",         "doubled",      "exactly_once", "wall_s",       "throughput",
          "latency_us",   "cpu_user_s",   "cpu_sys_s",    "voluntary_cs", "involuntary_cs",
          "loop",         "workers_used", "balance"}) {
        EXPECT_TRUE(c.contains(key)) << key;
    }
    for (const char* p : {"p50", "p90", "p99", "p99.9", "max", "mean"}) {
        EXPECT_TRUE(c["latency_us"][p].is_number()) << p;
    }
    EXPECT_DOUBLE_EQ(j["cells"][5]["latency_us"]["p99"].get<double>(), 80.0 * 64);
    ASSERT_EQ(j["idle"].size(), 1u);
    EXPECT_EQ(j["idle"][0]["ok"], true);
    EXPECT_EQ(j["recommendation"]["executor"], "threads:2");
    EXPECT_EQ(j["recommendation"]["concurrency"], 64);
    ASSERT_EQ(j["failures"].size(), 1u);
}

TEST(stress_reports, csv_has_a_header_and_one_row_per_cell) {
    run_report r = sample();
    r.cells[0].target = "odd,\"name\""; // quoted per RFC 4180
    const std::string csv = format_csv(r);
    std::istringstream in(csv);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    ASSERT_EQ(lines.size(), 7u);
    const std::size_t columns = count(lines[0], ",") + 1;
    EXPECT_EQ(columns, 30u);
    EXPECT_TRUE(lines[0].starts_with("executor,workload,scenario,workers,concurrency"));
    EXPECT_TRUE(lines[1].starts_with("\"odd,\"\"name\"\"\",cpu:50,0,4,1,")) << lines[1];
    for (std::size_t i = 2; i < lines.size(); ++i) {
        EXPECT_EQ(count(lines[i], ",") + 1, columns) << lines[i];
    }
    EXPECT_NE(lines[5].find("threads:2,cpu:50,0,2,8,"), std::string::npos);
}

TEST(stress_reports, html_is_well_formed_with_its_charts) {
    const std::string html = format_html(sample());
    EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
    EXPECT_EQ(nesting_problem(html), "");
    EXPECT_EQ(count(html, "<svg"), 2u);
    EXPECT_EQ(count(html, "<svg"), count(html, "</svg>"));
    EXPECT_EQ(count(html, "<polyline"), count(html, "</polyline>"));
    EXPECT_EQ(count(html, "<circle"), count(html, "</circle>"));
    // Throughput: one line per executor; latency: p50 and p99 per executor.
    EXPECT_EQ(count(html, "<polyline"), 2u + 4u);
    EXPECT_EQ(count(html, "<circle"), 6u + 12u);
    EXPECT_NE(html.find("Throughput against concurrency"), std::string::npos);
    EXPECT_NE(html.find("Latency percentiles"), std::string::npos);
    // No network: nothing is fetched from anywhere.
    EXPECT_EQ(html.find("http://www.w3.org/2000/svg"), html.find("http://"));
    EXPECT_EQ(html.find("https://"), std::string::npos);
    EXPECT_EQ(html.find("<script"), std::string::npos);
    // Text is escaped.
    EXPECT_NE(html.find("because &lt;reasons&gt; &amp; more"), std::string::npos);
    EXPECT_EQ(html.find("<reasons>"), std::string::npos);
    EXPECT_NE(html.find("2 lost"), std::string::npos);
}

TEST(stress_reports, html_of_a_real_scenario_run) {
    stress_options o;
    o.scenarios = {scenario_kind::spawn_storm, scenario_kind::timer_storm};
    o.concurrency = {1, 4};
    o.tasks = 50;
    o.idle_s = 0;
    const std::string html = format_html(run_stress(o));
    EXPECT_EQ(nesting_problem(html), "");
    EXPECT_NE(html.find("Operations per second"), std::string::npos);
    EXPECT_NE(html.find("spawn-storm"), std::string::npos);
    EXPECT_EQ(count(html, "<polyline"), 2u + 4u);
}

TEST(stress_reports, table_lists_cells_failures_and_advice) {
    const std::string t = format_table(sample());
    EXPECT_NE(t.find("executor"), std::string::npos);
    EXPECT_NE(t.find("p99.9"), std::string::npos);
    EXPECT_EQ(count(t, "tbb:4 "), 3u + 0u) << t; // three rows (the idle line reads "tbb:4:")
    EXPECT_NE(t.find("FAILED (2 lost, 0 doubled)"), std::string::npos);
    EXPECT_NE(t.find("recommendation: threads:2 at concurrency 64"), std::string::npos);
    EXPECT_NE(t.find("result: FAILED"), std::string::npos);
    EXPECT_NE(t.find("idle check"), std::string::npos);
}

