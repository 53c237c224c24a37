// The JSON and CSV reports of `weft stress` (report_json_csv.hpp): one object or row per cell,
// and in JSON the run's settings, where and when it ran, idle check, recommendation and verdict
// around them; in CSV the same run facts as leading "# key: value" comment lines.
#include "report_json_csv.hpp"

#include "repeat.hpp"

#include "common/format.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace weft::stress {

namespace {

nlohmann::json cell_json(const cell_result& c) {
    return {
        {"executor", c.target},
        {"workload", c.workload},
        {"scenario", c.scenario},
        {"workers", c.pool_size},
        {"concurrency", c.concurrency},
        {"offered_rate", c.offered_rate},
        {"submitted", c.submitted},
        {"completed", c.completed},
        {"errors", c.errors},
        {"crashes", c.crashes},
        {"lost", c.lost},
        {"doubled", c.doubled},
        {"exactly_once", c.exactly_once()},
        {"wall_s", c.wall_s},
        {"throughput", c.throughput},
        {"latency_us",
         {{"p50", c.p50_us},
          {"p90", c.p90_us},
          {"p99", c.p99_us},
          {"p99.9", c.p999_us},
          {"max", c.max_us},
          {"mean", c.mean_us}}},
        {"cpu_user_s", c.user_s},
        {"cpu_sys_s", c.sys_s},
        {"voluntary_cs", c.voluntary_cs},
        {"involuntary_cs", c.involuntary_cs},
        {"loop",
         {{"steps", c.loop_steps}, {"stalls", c.loop_stalls}, {"tasks_created", c.tasks_created}}},
        {"workers_used", c.workers_used},
        {"balance", c.balance},
        {"runs", c.runs},
        {"run_throughputs", c.run_throughputs},
        {"spread", c.spread},
        {"warnings", c.warnings},
    };
}

nlohmann::json advice_json(const recommendation& a) {
    return {{"executor", a.target},
            {"workers", a.pool_size},
            {"concurrency", a.concurrency},
            {"throughput", a.throughput},
            {"p99_us", a.p99_us},
            {"best_executor", a.best_target},
            {"best_concurrency", a.best_concurrency},
            {"best_throughput", a.best_throughput},
            {"reason", a.reason},
            {"beyond", a.beyond},
            {"code", a.code}};
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) {
        return s;
    }
    std::string q = "\"";
    for (char ch : s) {
        q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    }
    return q + "\"";
}

std::string num(double v) {
    return tools::fmt("%.6g", v);
}

} // namespace

std::string format_json(const run_report& r) {
    nlohmann::json j;
    j["weft"] = r.version;
    j["command_line"] = r.meta.command_line;
    j["timestamp"] = r.meta.timestamp;
    j["host"] = r.meta.host;
    j["cpu_count"] = r.hardware_threads;
    j["workload"] = r.workload;
    j["loops"] = r.loops;
    j["hardware_threads"] = r.hardware_threads;
    j["open_loop"] = r.open_loop;
    j["repeat"] = r.repeat;
    j["p99_max_us"] = r.p99_max_us;
    j["cells"] = nlohmann::json::array();
    for (const cell_result& c : r.cells) {
        j["cells"].push_back(cell_json(c));
    }
    j["idle"] = nlohmann::json::array();
    for (const idle_result& i : r.idle) {
        j["idle"].push_back({{"executor", i.target},
                             {"window_s", i.window_s},
                             {"cpu_s", i.cpu_s},
                             {"process_cpu_s", i.process_cpu_s},
                             {"typical_cpu_s", i.typical_cpu_s},
                             {"limit_s", i.limit_s},
                             {"ok", i.ok()}});
    }
    j["recommendation"] = r.advice ? advice_json(*r.advice) : nlohmann::json(nullptr);
    if (!r.no_advice.empty()) {
        j["no_recommendation"] = r.no_advice;
    }
    j["warnings"] = warning_summary(r.cells);
    j["ok"] = r.ok();
    j["failures"] = r.failures;
    return j.dump(2) + "\n";
}

std::string format_csv(const run_report& r) {
    auto one_line = [](std::string v) {
        std::replace(v.begin(), v.end(), '\n', ' ');
        return v;
    };
    std::string out = "# weft stress report\n# command: " + one_line(r.meta.command_line) +
                      "\n# timestamp: " + r.meta.timestamp + "\n# host: " + one_line(r.meta.host) +
                      "\n# cpus: " + std::to_string(r.hardware_threads) + "\n# weft: " + r.version +
                      "\n";
    out += "executor,workload,scenario,workers,concurrency,offered_rate,submitted,"
           "completed,errors,crashes,lost,doubled,exactly_once,wall_s,throughput,"
           "p50_us,p90_us,p99_us,p999_us,max_us,mean_us,cpu_user_s,cpu_sys_s,"
           "voluntary_cs,involuntary_cs,loop_steps,loop_stalls,tasks_created,workers_used,"
           "balance,runs,spread,warnings\n";
    for (const cell_result& c : r.cells) {
        std::string warnings;
        for (const std::string& w : c.warnings) {
            warnings += (warnings.empty() ? "" : "; ") + w;
        }
        const std::string fields[] = {
            csv_field(c.target),
            csv_field(c.workload),
            c.scenario ? "1" : "0",
            std::to_string(c.pool_size),
            std::to_string(c.concurrency),
            num(c.offered_rate),
            std::to_string(c.submitted),
            std::to_string(c.completed),
            std::to_string(c.errors),
            std::to_string(c.crashes),
            std::to_string(c.lost),
            std::to_string(c.doubled),
            c.exactly_once() ? "1" : "0",
            num(c.wall_s),
            num(c.throughput),
            num(c.p50_us),
            num(c.p90_us),
            num(c.p99_us),
            num(c.p999_us),
            num(c.max_us),
            num(c.mean_us),
            num(c.user_s),
            num(c.sys_s),
            std::to_string(c.voluntary_cs),
            std::to_string(c.involuntary_cs),
            std::to_string(c.loop_steps),
            std::to_string(c.loop_stalls),
            std::to_string(c.tasks_created),
            std::to_string(c.workers_used),
            num(c.balance),
            std::to_string(c.runs),
            num(c.spread),
            csv_field(warnings),
        };
        for (std::size_t i = 0; i < std::size(fields); ++i) {
            out += (i == 0 ? "" : ",") + fields[i];
        }
        out += "\n";
    }
    return out;
}

} // namespace weft::stress
