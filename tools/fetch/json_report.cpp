// `weft fetch --json` (json_report.hpp): the passes, their results and summaries as one JSON
// document; nlohmann::json escapes, and replaces bytes that are not UTF-8.

#include "json_report.hpp"

#include "report.hpp"

#include <nlohmann/json.hpp>

namespace weft::tools::fetch {

namespace {

using json = nlohmann::json;

json summary_json(const run_result& r) {
    const run_summary s = summarise(r);
    json j = {{"requests", s.requests},      {"responses", s.responses},
              {"failed", s.failed},          {"bytes", s.bytes},
              {"seconds", s.seconds},        {"requests_per_s", s.requests_per_s},
              {"bytes_per_s", s.bytes_per_s}};
    if (s.latency) {
        const latency_summary& l = *s.latency;
        j["latency_s"] = {{"min", l.min}, {"mean", l.mean}, {"p50", l.p50},
                          {"p90", l.p90}, {"p99", l.p99},   {"max", l.max}};
    } else {
        j["latency_s"] = nullptr;
    }
    return j;
}

json run_json(const char* mode, const run_result& r) {
    json results = json::array();
    for (const result& x : r.results) {
        if (!x.done) {
            continue;
        }
        json one = {
            {"url", x.url}, {"status", x.status}, {"bytes", x.bytes}, {"seconds", x.seconds}};
        if (!x.error.empty()) {
            one["error"] = x.error;
            one["error_kind"] = x.error_kind;
        }
        results.push_back(std::move(one));
    }
    return {{"mode", mode},
            {"concurrency", r.concurrency},
            {"seconds", r.seconds},
            {"results", std::move(results)},
            {"summary", summary_json(r)}};
}

} // namespace

std::string json_report(const run_result* sequential, const run_result* concurrent,
                        const std::string& interrupted) {
    json doc = json::object();
    if (!interrupted.empty()) {
        doc["interrupted"] = interrupted;
    }
    json runs = json::array();
    if (sequential != nullptr) {
        runs.push_back(run_json("sequential", *sequential));
    }
    if (concurrent != nullptr) {
        runs.push_back(run_json("concurrent", *concurrent));
    }
    doc["runs"] = std::move(runs);
    if (sequential != nullptr && concurrent != nullptr && interrupted.empty()) {
        doc["speedup"] = concurrent->seconds > 0 ? sequential->seconds / concurrent->seconds : 0.0;
    }
    return doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

} // namespace weft::tools::fetch
