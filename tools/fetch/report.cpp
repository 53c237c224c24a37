// `weft fetch`'s report for a person (report.hpp): the table through tools::table_layout, the
// summary's percentiles and rates, and the comparison chart, each fitted to the terminal's width.

#include "report.hpp"

#include "common/format.hpp"
#include "common/table.hpp"
#include "common/terminal.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace weft::tools::fetch {

namespace {

/// The nearest-rank percentile p (0-100) of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
    const auto n = static_cast<double>(sorted.size());
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * n));
    return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

/// Seconds as the report shows a latency: "201ms", "1.25ms", "80.0us".
std::string seconds_text(double s) {
    return latency_text(s * 1e6);
}

/// Bytes in binary units: "512 B", "43.9 KiB", "1.2 MiB".
std::string bytes_text(double b) {
    if (b >= 1024.0 * 1024 * 1024) {
        return fmt("%.1f GiB", b / (1024.0 * 1024 * 1024));
    }
    if (b >= 1024.0 * 1024) {
        return fmt("%.1f MiB", b / (1024.0 * 1024));
    }
    if (b >= 1024.0) {
        return fmt("%.1f KiB", b / 1024.0);
    }
    return fmt("%.0f B", b);
}

/// Text wrapped to width, each line indented by `indent` spaces.
std::string indented(const std::string& text, std::size_t indent, std::size_t width) {
    const std::string pad(indent, ' ');
    const std::string body = wrap(text, width > indent ? width - indent : 0, 2);
    std::string out;
    std::size_t from = 0;
    while (from < body.size()) {
        const std::size_t nl = body.find('\n', from);
        out += pad + body.substr(from, nl - from + 1);
        from = nl + 1;
    }
    return out;
}

} // namespace

run_summary summarise(const run_result& r) {
    run_summary s;
    std::vector<double> times;
    for (const result& x : r.results) {
        if (!x.done) {
            continue;
        }
        ++s.requests;
        s.bytes += x.bytes;
        if (x.error.empty()) {
            ++s.responses;
            times.push_back(x.seconds);
        } else {
            ++s.failed;
        }
    }
    s.seconds = r.seconds;
    if (r.seconds > 0) {
        s.requests_per_s = static_cast<double>(s.requests) / r.seconds;
        s.bytes_per_s = static_cast<double>(s.bytes) / r.seconds;
    }
    if (!times.empty()) {
        std::sort(times.begin(), times.end());
        latency_summary l;
        l.responses = times.size();
        l.min = times.front();
        l.max = times.back();
        double sum = 0;
        for (double t : times) {
            sum += t;
        }
        l.mean = sum / static_cast<double>(times.size());
        l.p50 = percentile(times, 50);
        l.p90 = percentile(times, 90);
        l.p99 = percentile(times, 99);
        s.latency = l;
    }
    return s;
}

std::string count_of(std::size_t n, const std::string& noun) {
    return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::string table_text(const run_result& r, std::size_t width) {
    const std::vector<table_column> columns = {
        {.title = "status", .width = 6, .left = true, .priority = 0},
        {.title = "bytes", .width = 10, .priority = 2},
        {.title = "time", .width = 7, .priority = 1},
        {.title = "url", .width = 30, .left = true, .priority = 0},
    };
    std::vector<std::vector<std::string>> rows;
    std::vector<const result*> shown;
    for (const result& x : r.results) {
        if (!x.done) {
            continue; // interrupted before it finished
        }
        const bool ok = x.error.empty();
        rows.push_back({ok ? std::to_string(x.status) : x.error_kind,
                        ok ? std::to_string(x.bytes) : "-", seconds_text(x.seconds), x.url});
        shown.push_back(&x);
    }
    // The URL, the last column, is laid out as at most 30 columns wide: a longer one is cut at the
    // line's end ("~") rather than pushing the time and size off the table.
    std::vector<std::vector<std::string>> measured = rows;
    for (auto& cells : measured) {
        cells[3].resize(std::min<std::size_t>(cells[3].size(), 30));
    }
    const table_layout layout(columns, width, measured);
    std::string out = layout.header();
    for (std::size_t i = 0; i < rows.size(); ++i) {
        out += layout.row(rows[i]);
        if (!shown[i]->error.empty()) {
            out += indented(shown[i]->error, 6, width);
        }
    }
    return out;
}

std::string summary_text(const std::string& label, const run_result& r, std::size_t width) {
    const run_summary s = summarise(r);
    std::string out =
        wrap(label + ": " + count_of(r.results.size(), "URL") + ", " + std::to_string(s.bytes) +
                 " bytes, " + std::to_string(s.failed) + " failed, " + fmt("%.3f s", s.seconds) +
                 " (" + std::to_string(r.concurrency) + " at a time)",
             width);
    if (s.latency) {
        const latency_summary& l = *s.latency;
        out += indented("latency: p50 " + seconds_text(l.p50) + ", p90 " + seconds_text(l.p90) +
                            ", p99 " + seconds_text(l.p99) + ", max " + seconds_text(l.max),
                        2, width);
    }
    out += indented("rate: " + fmt("%.1f", s.requests_per_s) + " requests/s, " +
                        bytes_text(s.bytes_per_s) + "/s",
                    2, width);
    return out;
}

std::string chart_text(const run_result& seq, const run_result& con, std::size_t width) {
    // "  sequential  " is 14 columns, " 12.34 s" about 8: the bar has the rest, at most 50.
    const int bar_width = width == 0 ? 50 : std::clamp(static_cast<int>(width) - 24, 10, 50);
    const double longest = std::max(seq.seconds, con.seconds);
    auto bar = [&](const char* label, double s) {
        const int n =
            longest > 0 ? std::max(1, static_cast<int>(bar_width * s / longest + 0.5)) : 1;
        std::string b;
        for (int i = 0; i < n; ++i) {
            b += "\u2588";
        }
        return std::string("  ") + label + "  " + b + fmt(" %.2f s", s) + "\n";
    };
    return "\n" + bar("sequential", seq.seconds) + bar("concurrent", con.seconds);
}

} // namespace weft::tools::fetch
