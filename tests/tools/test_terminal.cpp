// The weft command's terminal layer (tools/common): tables fitted to a width, word wrapping, the
// terminal width from $COLUMNS, and the progress line with its phase, rate and time left.
#include "common/progress_bar.hpp"
#include "common/table.hpp"
#include "common/terminal.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

namespace {

using weft::tools::table_column;

std::vector<table_column> columns() {
    return {{.title = "executor", .left = true},
            {.title = "workers", .short_title = "wk", .priority = 2},
            {.title = "calls/s", .priority = 0},
            {.title = "context switches", .short_title = "ctx", .priority = 5},
            {.title = "exactly once", .short_title = "once", .left = true, .priority = 1}};
}

std::vector<std::vector<std::string>> rows() {
    return {{"tbb:4", "4", "1.23M", "120", "ok"}, {"threads:64", "64", "980k", "45000", "ok"}};
}

std::size_t widest_line(const std::string& text) {
    std::istringstream in(text);
    std::size_t most = 0;
    for (std::string l; std::getline(in, l);) {
        most = std::max(most, l.size());
    }
    return most;
}

TEST(terminal_table, full_width_keeps_every_column_aligned) {
    const std::string t = weft::tools::render_table(columns(), rows(), 0);
    EXPECT_EQ(t, "executor    workers  calls/s  context switches  exactly once\n"
                 "------------------------------------------------------------\n"
                 "tbb:4             4    1.23M               120  ok\n"
                 "threads:64       64     980k             45000  ok\n");
}

TEST(terminal_table, narrow_width_abbreviates_then_drops_the_least_important) {
    // 40 columns: short titles fit ("executor  wk  calls/s  ctx    once" is 35 wide).
    const std::string t40 = weft::tools::render_table(columns(), rows(), 40);
    EXPECT_LE(widest_line(t40), 40u) << t40;
    EXPECT_NE(t40.find("ctx"), std::string::npos) << t40;
    EXPECT_EQ(t40.find("context switches"), std::string::npos) << t40;
    // 28 columns: "ctx" (priority 5) goes first, then "wk" (priority 2).
    const weft::tools::table_layout narrow(columns(), 28, rows());
    EXPECT_EQ(narrow.hidden(), (std::vector<std::string>{"workers", "context switches"}));
    EXPECT_LE(widest_line(narrow.header() + narrow.row(rows()[1])), 28u);
    EXPECT_NE(narrow.hidden_note("the JSON report has").find("workers, context switches"),
              std::string::npos);
    EXPECT_EQ(weft::tools::table_layout(columns(), 0, rows()).hidden_note("x"), "");
}

TEST(terminal_table, rows_printed_one_at_a_time_use_the_expected_widths) {
    auto cols = columns();
    cols[0].width = 12;
    cols[2].width = 6;
    const weft::tools::table_layout l(cols, 0);
    EXPECT_EQ(l.header().substr(0, l.header().find('\n')),
              "executor      workers  calls/s  context switches  exactly once");
    EXPECT_EQ(l.row(rows()[0]), "tbb:4               4    1.23M               120  ok\n");
    // A cell wider than its column pushes the rest along, one space apart at least.
    EXPECT_EQ(l.row({"a-very-long-executor", "1", "2", "3", "ok"}),
              "a-very-long-executor 1       2                 3  ok\n");
}

TEST(terminal_table, a_line_is_never_wider_than_the_limit) {
    const weft::tools::table_layout l(columns(), 24, rows());
    const std::string r = l.row({std::string(60, 'x'), "1", "2", "3", "FAILED (3 lost)"});
    EXPECT_EQ(r.size(), 25u); // 24 and the newline
    EXPECT_EQ(r[23], '~');
}

TEST(terminal_wrap, wraps_at_spaces_with_a_hanging_indent) {
    EXPECT_EQ(weft::tools::wrap("recommendation: tbb:4 at concurrency 64", 22, 2),
              "recommendation: tbb:4\n  at concurrency 64\n");
    EXPECT_EQ(weft::tools::wrap("  - one two three four", 12, 2),
              "  - one two\n    three\n    four\n");
    EXPECT_EQ(weft::tools::wrap("short\nlines\n", 80), "short\nlines\n");
    EXPECT_EQ(weft::tools::wrap("no limit at all", 0), "no limit at all\n");
    const std::string cut = weft::tools::wrap(std::string(50, 'y'), 20, 2);
    EXPECT_LE(widest_line(cut), 20u) << cut;
    EXPECT_EQ(std::count(cut.begin(), cut.end(), 'y'), 50);
}

TEST(terminal_width, columns_from_the_environment) {
    const char* old = std::getenv("COLUMNS");
    const std::string saved = old != nullptr ? old : "";
    ::setenv("COLUMNS", "100", 1);
    EXPECT_EQ(weft::tools::terminal_columns(stdout), 100u);
    ::setenv("COLUMNS", "abc", 1); // not a number: ignored
    EXPECT_NE(weft::tools::terminal_columns(stdout), 100u);
    ::setenv("COLUMNS", "5", 1); // too narrow to be meant: ignored
    EXPECT_NE(weft::tools::terminal_columns(stdout), 5u);
    if (old != nullptr) {
        ::setenv("COLUMNS", saved.c_str(), 1);
    } else {
        ::unsetenv("COLUMNS");
    }
}

TEST(progress_line, bar_phase_label_rate_and_eta_in_a_fixed_width) {
    const weft::tools::progress_state s{.fraction = 0.5,
                                        .phase = "measuring",
                                        .label = "tbb:4 cpu:50 x8",
                                        .rate = 12345,
                                        .rate_unit = " calls/s"};
    const std::string line = weft::tools::format_progress(s, 65, 100);
    EXPECT_TRUE(
        line.starts_with("[###############               ]  50%  measuring  tbb:4 cpu:50 x8"))
        << line;
    EXPECT_NE(line.find("12.3k calls/s  ETA 1m05s"), std::string::npos) << line;
    EXPECT_EQ(line.size(), 100u);
    // Narrow: the label is cut, the rate and the estimate stay.
    const std::string narrow = weft::tools::format_progress(s, 65, 50);
    EXPECT_EQ(narrow.size(), 50u);
    EXPECT_NE(narrow.find("ETA 1m05s"), std::string::npos) << narrow;
    // Out-of-range fractions are clamped; no estimate prints none.
    EXPECT_TRUE(weft::tools::format_progress({.fraction = 2.0}, -1, 80)
                    .starts_with("[##############################] 100%"));
    EXPECT_EQ(weft::tools::format_progress({.fraction = -1}, -1, 80).find("ETA"),
              std::string::npos);
}

TEST(progress_line, eta_reads_as_hours_minutes_seconds) {
    EXPECT_EQ(weft::tools::eta_text(42), "42s");
    EXPECT_EQ(weft::tools::eta_text(65), "1m05s");
    EXPECT_EQ(weft::tools::eta_text(7380), "2h03m");
    EXPECT_EQ(weft::tools::eta_text(-1), "?");
}

TEST(progress_line, no_terminal_no_bar_but_lines_still_print) {
    std::FILE* f = std::tmpfile();
    ASSERT_NE(f, nullptr);
    {
        weft::tools::progress_bar bar(f);
        EXPECT_FALSE(bar.drawn());
        bar.update({.fraction = 0.5, .phase = "measuring"});
        bar.print(f, "row 1\n");
    }
    std::rewind(f);
    char buf[64] = {};
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    EXPECT_EQ(std::string(buf, n), "row 1\n");
}

} // namespace
