// The terminal report at a terminal's width: no line wider than the terminal, the important
// columns kept and a note naming those left out; the same table printed a row at a time; and the
// HTML page's log axis, legend names and marked recommendation.

#include "report_html.hpp"
#include "report_table.hpp"
#include "runner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

using namespace weft::stress;

namespace {

cell_result cell(const std::string& target, std::size_t pool, std::size_t conc, double tput) {
    cell_result c;
    c.target = target;
    c.workload = "mixed:9*cpu:50+1*sleep:1000";
    c.pool_size = pool;
    c.concurrency = conc;
    c.submitted = c.completed = 1000;
    c.wall_s = 1;
    c.throughput = tput;
    c.p50_us = 50;
    c.p90_us = 700;
    c.p99_us = 1200;
    c.p999_us = 15000;
    c.max_us = 1.5e6;
    c.user_s = 12.5;
    c.voluntary_cs = 123456;
    c.workers_used = pool;
    c.balance = 0.97;
    return c;
}

run_report wide_sample() {
    run_report r;
    r.version = "0.1.0";
    r.workload = "mixed:9*cpu:50+1*sleep:1000";
    r.loops = 1;
    r.hardware_threads = 8;
    for (std::size_t c : {1, 8, 64, 512}) {
        r.cells.push_back(cell("tbb", 32, c, 1000.0 * static_cast<double>(c)));
        r.cells.push_back(cell("threads:16", 16, c, 10.0 * static_cast<double>(c)));
    }
    r.cells[3].lost = 3;
    r.idle.push_back({"threads:16", 1.0, 0.0001, 0.0002, 0.01, 0.0001});
    r.advice = recommendation{"tbb", 32, 512, 512000, "tbb", 512, 512000, "the fastest"};
    r.advice->beyond = "it is at the largest concurrency tried: the best may lie beyond; try -c "
                       "1024,2048";
    r.advice->code = "weft::tbb_pool pool({.max_workers = 32});\nweft::semaphore in_flight(512);";
    judge(r);
    return r;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        out.push_back(line);
    }
    return out;
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

} // namespace

TEST(stress_report_fit, no_line_is_wider_than_100_columns) {
    const std::string t = format_table(wide_sample(), 100);
    for (const std::string& line : lines_of(t)) {
        EXPECT_LE(line.size(), 100u) << line;
    }
    const std::vector<std::string> lines = lines_of(t);
    // The title line of the table keeps the columns that matter.
    const auto title = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
        return l.find("calls/s") != std::string::npos;
    });
    ASSERT_NE(title, lines.end()) << t;
    // The workload, the same on every row and named in the heading, gives way to the figures.
    for (const char* kept : {"exec", "conc", "calls/s", "p50", "p99 ", "err", "crash", "once"}) {
        EXPECT_NE(title->find(kept), std::string::npos) << kept << "\n" << t;
    }
    EXPECT_EQ(title->find("ctx sw"), std::string::npos);
    EXPECT_NE(t.find("not shown at 100 columns: workload"), std::string::npos) << t;
    EXPECT_NE(t.find("workload mixed:9*cpu:50+1*sleep:1000"), std::string::npos) << t;
    EXPECT_NE(t.find("--json and --csv"), std::string::npos) << t;
    EXPECT_NE(t.find("FAILED: 3 lost"), std::string::npos) << t;
    EXPECT_NE(t.find("weft::tbb_pool pool({.max_workers = 32});"), std::string::npos) << t;
}

TEST(stress_report_fit, full_width_shows_every_column_and_no_note) {
    const std::string t = format_table(wide_sample(), 0);
    for (const char* title : {"executor", "workload", "workers", "p99.9", "user s", "sys s",
                              "ctx sw", "stalls", "used", "balance", "exactly once"}) {
        EXPECT_NE(t.find(title), std::string::npos) << title;
    }
    EXPECT_EQ(t.find("not shown"), std::string::npos);
    EXPECT_EQ(t.find("spread"), std::string::npos); // one run per cell: no spread column
}

TEST(stress_report_fit, rows_printed_one_at_a_time_fit_too) {
    // As the command prints them: the header from the expected widths, then each row.
    run_report r = wide_sample();
    table_shape shape;
    shape.target_width = 10;
    shape.workload_width = r.workload.size();
    const weft::tools::table_layout layout(table_columns(shape), 100);
    std::string out = format_heading(r, 100) + layout.header();
    for (const cell_result& c : r.cells) {
        out += layout.row(table_cells(c, false));
    }
    out += format_closing(r, layout, 100);
    for (const std::string& line : lines_of(out)) {
        EXPECT_LE(line.size(), 100u) << line;
    }
    EXPECT_EQ(count(out, "threads:16  mixed"), 4u) << out;
    EXPECT_NE(out.find("result: FAILED"), std::string::npos);
}

TEST(stress_report_fit, repeated_cells_show_their_spread_and_warnings) {
    run_report r = wide_sample();
    r.repeat = 3;
    r.cells[0].spread = 0.25;
    r.cells[0].runs = 3;
    r.cells[2].wall_s = 0.1;
    const std::string t = format_table(r, 0);
    EXPECT_NE(t.find("spread"), std::string::npos);
    EXPECT_NE(t.find("25%"), std::string::npos);
    EXPECT_NE(t.find("median of 3 runs"), std::string::npos);
    EXPECT_NE(t.find("warning: 1 of 8 cells were measured for less than 0.5 s"), std::string::npos)
        << t;
    EXPECT_NE(t.find("warning: 1 cell(s) varied by more than 10%"), std::string::npos) << t;
    EXPECT_NE(t.find("tbb x1 25%"), std::string::npos) << t;
}

TEST(stress_report_fit, html_uses_a_log_axis_names_worker_counts_and_marks_the_advice) {
    const std::string html = format_html(wide_sample()); // throughput from 10/s to 512k/s
    EXPECT_NE(html.find("(log scale)"), std::string::npos);
    EXPECT_NE(html.find(">tbb:32</text>"), std::string::npos); // "tbb" with its worker count
    EXPECT_NE(html.find(">threads:16</text>"), std::string::npos);
    EXPECT_EQ(count(html, "class=\"mark\""), 1u);
    EXPECT_EQ(count(html, "<tr class=\"rec\">"), 1u);
    EXPECT_NE(html.find("the best may lie beyond"), std::string::npos);
    EXPECT_NE(html.find("weft::tbb_pool pool({.max_workers = 32});"), std::string::npos);

    run_report close = wide_sample(); // within 100x: a linear axis
    for (cell_result& c : close.cells) {
        c.throughput = 1000 + static_cast<double>(c.concurrency);
    }
    EXPECT_EQ(format_html(close).find("(log scale)"), std::string::npos);
}
