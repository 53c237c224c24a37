// The parsers of `weft stress`'s command line (spec.hpp): executor lists, workloads (single or
// weighted mixes), scenarios and concurrency levels, each throwing spec_error that names the bad
// part and what is accepted; and validate(), the checks across options. A redis executor's
// options are entries of the list of their own ("redis:URL,workers=2"), attached to it here.
#include "spec.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

namespace weft::stress {

namespace {

std::vector<std::string_view> split(std::string_view text, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t at = text.find(sep, start);
        out.push_back(
            text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
        if (at == std::string_view::npos) {
            return out;
        }
        start = at + 1;
    }
}

std::string quoted(std::string_view s) {
    return "'" + std::string(s) + "'";
}

/// A whole unsigned number, optionally with a binary suffix (k, m, g) when allowed.
std::optional<std::uint64_t> to_unsigned(std::string_view s, bool suffix) {
    std::uint64_t scale = 1;
    if (suffix && !s.empty()) {
        switch (s.back()) {
        case 'k':
        case 'K':
            scale = 1024;
            break;
        case 'm':
        case 'M':
            scale = 1024 * 1024;
            break;
        case 'g':
        case 'G':
            scale = 1024 * 1024 * 1024;
            break;
        default:
            break;
        }
        if (scale != 1) {
            s.remove_suffix(1);
        }
    }
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) {
        return std::nullopt;
    }
    if (v > std::numeric_limits<std::uint64_t>::max() / scale) {
        return std::nullopt;
    }
    return v * scale;
}

std::optional<double> to_double(std::string_view s) {
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) {
        return std::nullopt;
    }
    return v;
}

std::string format_number(double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') {
        s.pop_back();
    }
    return s;
}

constexpr std::uint64_t max_us = 60'000'000;               // one minute per call
constexpr std::uint64_t max_bytes = 1024ull * 1024 * 1024; // 1 GiB per call
constexpr std::size_t max_workers = 4096;

/// The URL with its password, if any, as "***" (labels are printed and written to reports).
std::string without_password(std::string_view url) {
    const std::size_t scheme = url.find("://");
    if (scheme == std::string_view::npos) {
        return std::string(url);
    }
    const std::size_t start = scheme + 3;
    const std::size_t at = url.find('@', start);
    const std::size_t slash = url.find('/', start);
    if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) {
        return std::string(url);
    }
    const std::size_t colon = url.find(':', start);
    if (colon == std::string_view::npos || colon > at) {
        return std::string(url);
    }
    return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

/// Whether an entry of the executor list is a redis executor's option ("queue=q"): it has an
/// '=' and no ':' before it (a URL's query, "unix:///s?db=1", has one).
bool is_redis_option(std::string_view item) {
    const std::size_t eq = item.find('=');
    return eq != std::string_view::npos && item.substr(0, eq).find(':') == std::string_view::npos;
}

executor_spec parse_redis(std::string_view item, std::string_view url) {
    if (!url.starts_with("redis://") && !url.starts_with("unix://")) {
        throw spec_error("executor " + quoted(item) +
                         ": the broker URL is redis://[user:password@]host[:port][/db] or "
                         "unix:///path/to/redis.sock, as in redis:redis://127.0.0.1:6379");
    }
    executor_spec e;
    e.kind = executor_kind::redis;
    e.redis.url = std::string(url);
    return e;
}

/// Applies one `key=value` option to the redis executor e.
void apply_redis_option(executor_spec& e, std::string_view item) {
    const std::size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = item.substr(eq + 1);
    if (key == "queue") {
        if (value.empty()) {
            throw spec_error("redis option " + quoted(item) + ": the queue needs a name");
        }
        e.redis.queue = std::string(value);
        return;
    }
    if (key == "prefetch") {
        e.redis.prefetch = 0; // the field to fill, below
    }
    std::size_t* field = key == "in_flight"    ? &e.redis.in_flight
                         : key == "workers"    ? &e.redis.workers
                         : key == "per_worker" ? &e.redis.per_worker
                         : key == "prefetch"   ? &*e.redis.prefetch
                                               : nullptr;
    if (field == nullptr) {
        throw spec_error("unknown redis option " + quoted(item) +
                         " (expected queue=NAME, in_flight=N, workers=N, per_worker=N or "
                         "prefetch=N)");
    }
    const auto n = to_unsigned(value, false);
    const std::uint64_t least = key == "workers" || key == "prefetch" ? 0 : 1;
    const std::uint64_t most = key == "in_flight" ? 1'000'000 : max_workers;
    if (!n || *n < least || *n > most) {
        throw spec_error("redis option " + quoted(item) + ": " + std::string(key) +
                         " must be a whole number " + std::to_string(least) + ".." +
                         std::to_string(most));
    }
    *field = static_cast<std::size_t>(*n);
}

/// The label of a redis executor, once its options are in.
void finish_redis(executor_spec& e) {
    const redis_spec& r = e.redis;
    if (r.workers == 0 && (r.per_worker != 1 || r.prefetch)) {
        throw spec_error("redis options per_worker and prefetch apply to the workers the run "
                         "starts: give workers=N too");
    }
    e.label = "redis:" + without_password(r.url);
    if (r.queue != default_redis_queue) {
        e.label += ",queue=" + r.queue;
    }
    if (r.in_flight != redis_spec{}.in_flight) {
        e.label += ",in_flight=" + std::to_string(r.in_flight);
    }
    if (r.workers > 0) {
        e.label += ",workers=" + std::to_string(r.workers);
    }
    if (r.per_worker != 1) {
        e.label += ",per_worker=" + std::to_string(r.per_worker);
    }
    if (r.prefetch) {
        e.label += ",prefetch=" + std::to_string(*r.prefetch);
    }
}

executor_spec parse_executor(std::string_view item) {
    const std::size_t colon = item.find(':');
    const std::string_view kind = item.substr(0, colon);
    const bool has_count = colon != std::string_view::npos;
    const std::string_view count = has_count ? item.substr(colon + 1) : std::string_view{};
    executor_spec e;
    if (kind == "tbb") {
        e.kind = executor_kind::tbb;
    } else if (kind == "threads") {
        e.kind = executor_kind::threads;
    } else if (kind == "process") {
        e.kind = executor_kind::process;
    } else if (kind == "redis" && has_count) {
        return parse_redis(item, count);
    } else if (kind == "redis") {
        throw spec_error("executor " + quoted(item) +
                         " needs the broker URL, as in redis:unix:///tmp/redis.sock,workers=2");
    } else if (kind == "inline") {
        e.kind = executor_kind::inline_;
        if (has_count) {
            throw spec_error("executor " + quoted(item) + ": inline takes no worker count");
        }
        e.label = "inline";
        return e;
    } else {
        throw spec_error("unknown executor " + quoted(item) +
                         " (expected tbb[:N], threads:N, process:N, inline or redis:URL)");
    }
    if (has_count) {
        const auto n = to_unsigned(count, false);
        if (!n || *n == 0 || *n > max_workers) {
            throw spec_error("executor " + quoted(item) + ": the worker count must be 1.." +
                             std::to_string(max_workers));
        }
        e.workers = static_cast<std::size_t>(*n);
    } else if (e.kind != executor_kind::tbb) {
        throw spec_error("executor " + quoted(item) + " needs a worker count, as in " +
                         std::string(kind) + ":4");
    }
    e.label = std::string(kind) + (has_count ? ":" + std::to_string(e.workers) : "");
    return e;
}

workload_spec parse_single(std::string_view text, bool inside_mix) {
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) {
        throw spec_error("workload " + quoted(text) +
                         " needs a size, as in cpu:50, sleep:1000, io:4096, alloc:65536, "
                         "crash:0.01 or mixed:9*cpu:50+1*sleep:1000");
    }
    const std::string_view kind = text.substr(0, colon);
    const std::string_view arg = text.substr(colon + 1);
    workload_spec w;
    if (kind == "cpu" || kind == "sleep") {
        w.kind = kind == "cpu" ? workload_kind::cpu : workload_kind::sleep;
        const auto us = to_unsigned(arg, false);
        if (!us || *us > max_us) {
            throw spec_error("workload " + quoted(text) +
                             ": the duration is whole microseconds, 0.." + std::to_string(max_us));
        }
        w.amount = *us;
        w.label = std::string(kind) + ":" + std::to_string(w.amount);
    } else if (kind == "io" || kind == "alloc") {
        w.kind = kind == "io" ? workload_kind::io : workload_kind::alloc;
        const auto bytes = to_unsigned(arg, true);
        if (!bytes || *bytes > max_bytes) {
            throw spec_error("workload " + quoted(text) +
                             ": the size is bytes (suffix k, m or g allowed), at most 1g");
        }
        w.amount = *bytes;
        w.label = std::string(kind) + ":" + std::to_string(w.amount);
    } else if (kind == "crash") {
        w.kind = workload_kind::crash;
        const auto r = to_double(arg);
        if (!r || *r < 0 || *r > 1) {
            throw spec_error("workload " + quoted(text) +
                             ": the crash rate is a share of calls, 0..1 (crash:0.01)");
        }
        w.rate = *r;
        w.label = "crash:" + format_number(w.rate);
    } else if (kind == "mixed") {
        if (inside_mix) {
            throw spec_error("workload " + quoted(text) + ": a mix cannot contain a mix");
        }
        w.kind = workload_kind::mixed;
        w.label = "mixed:";
        double total = 0;
        for (std::string_view part : split(arg, '+')) {
            const std::size_t star = part.find('*');
            if (star == std::string_view::npos) {
                throw spec_error("mixed workload part " + quoted(part) +
                                 " needs a weight, as in 9*cpu:50");
            }
            const auto weight = to_double(part.substr(0, star));
            if (!weight || *weight <= 0) {
                throw spec_error("mixed workload part " + quoted(part) +
                                 ": the weight must be a positive number");
            }
            total += *weight;
            workload_spec sub = parse_single(part.substr(star + 1), true);
            if (w.parts.size() > 0) {
                w.label += "+";
            }
            w.label += format_number(*weight) + "*" + sub.label;
            w.parts.emplace_back(*weight, std::move(sub));
        }
        if (w.parts.size() < 2) {
            throw spec_error("workload " + quoted(text) +
                             ": a mix needs two parts or more, as in mixed:9*cpu:50+1*sleep:1000");
        }
        if (!std::isfinite(total)) {
            throw spec_error("workload " + quoted(text) + ": the weights are too large");
        }
    } else {
        throw spec_error("unknown workload " + quoted(text) +
                         " (expected cpu:<us>, sleep:<us>, io:<bytes>, alloc:<bytes>, "
                         "crash:<rate> or mixed:<w1>*<spec>+<w2>*<spec>)");
    }
    return w;
}

} // namespace

std::vector<executor_spec> parse_executors(std::string_view text) {
    std::vector<executor_spec> out;
    auto add = [&out](executor_spec e) {
        if (e.kind == executor_kind::redis) {
            finish_redis(e);
        }
        if (std::any_of(out.begin(), out.end(),
                        [&](const executor_spec& x) { return x.label == e.label; })) {
            throw spec_error("executor " + quoted(e.label) + " is listed twice");
        }
        out.push_back(std::move(e));
    };
    std::optional<executor_spec> last; // the entry its options may still follow
    for (std::string_view item : split(text, ',')) {
        if (item.empty()) {
            throw spec_error("empty entry in the executor list " + quoted(text));
        }
        if (is_redis_option(item)) {
            if (!last || last->kind != executor_kind::redis) {
                throw spec_error("option " + quoted(item) +
                                 " follows no redis:URL executor (as in "
                                 "redis:unix:///tmp/redis.sock,workers=2)");
            }
            apply_redis_option(*last, item);
            continue;
        }
        if (last) {
            add(std::move(*last));
        }
        last = parse_executor(item);
    }
    if (last) {
        add(std::move(*last));
    }
    return out;
}

workload_spec parse_workload(std::string_view text) {
    return parse_single(text, false);
}

const std::vector<scenario_kind>& all_scenarios() {
    static const std::vector<scenario_kind> all{
        scenario_kind::spawn_storm, scenario_kind::cancel_storm,  scenario_kind::timer_storm,
        scenario_kind::cross_loop,  scenario_kind::gather_fanout, scenario_kind::queue_pingpong,
    };
    return all;
}

std::string_view scenario_name(scenario_kind s) noexcept {
    switch (s) {
    case scenario_kind::spawn_storm:
        return "spawn-storm";
    case scenario_kind::cancel_storm:
        return "cancel-storm";
    case scenario_kind::timer_storm:
        return "timer-storm";
    case scenario_kind::cross_loop:
        return "cross-loop";
    case scenario_kind::gather_fanout:
        return "gather-fanout";
    case scenario_kind::queue_pingpong:
        return "queue-pingpong";
    }
    return "?";
}

std::vector<scenario_kind> parse_scenarios(std::string_view text) {
    std::vector<scenario_kind> out;
    for (std::string_view item : split(text, ',')) {
        if (item == "all") {
            return all_scenarios();
        }
        const auto& all = all_scenarios();
        const auto it = std::find_if(all.begin(), all.end(),
                                     [&](scenario_kind s) { return scenario_name(s) == item; });
        if (it == all.end()) {
            throw spec_error("unknown scenario " + quoted(item) +
                             " (expected spawn-storm, cancel-storm, timer-storm, cross-loop, "
                             "gather-fanout, queue-pingpong or all)");
        }
        if (std::find(out.begin(), out.end(), *it) == out.end()) {
            out.push_back(*it);
        }
    }
    return out;
}

std::vector<std::size_t> parse_concurrency(std::string_view text) {
    std::vector<std::size_t> out;
    for (std::string_view item : split(text, ',')) {
        const auto n = to_unsigned(item, false);
        if (!n || *n == 0 || *n > 100'000) {
            throw spec_error("concurrency " + quoted(item) +
                             " must be a whole number 1..100000 (list: 1,8,64,512)");
        }
        out.push_back(static_cast<std::size_t>(*n));
    }
    return out;
}

double parse_latency_us(std::string_view text) {
    static constexpr std::pair<std::string_view, double> units[] = {
        {"ns", 1e-3}, {"us", 1.0}, {"ms", 1e3}, {"s", 1e6}};
    for (const auto& [unit, scale] : units) {
        if (text.ends_with(unit)) {
            const auto v = to_double(text.substr(0, text.size() - unit.size()));
            if (!v || *v <= 0) {
                break;
            }
            return *v * scale;
        }
    }
    throw spec_error("latency " + quoted(text) +
                     " must be a positive number with a unit: ns, us, ms or s (example: 5ms)");
}

bool uses_crash(const workload_spec& w) noexcept {
    if (w.kind == workload_kind::crash) {
        return true;
    }
    return std::any_of(w.parts.begin(), w.parts.end(),
                       [](const auto& p) { return uses_crash(p.second); });
}

void validate(const stress_options& o) {
    if (o.scenarios.empty() && o.executors.empty()) {
        throw spec_error("no executor to test: give --executor or --scenario");
    }
    if (o.concurrency.empty()) {
        throw spec_error("no concurrency level: give --concurrency, as in 1,8,64");
    }
    const bool process = std::any_of(o.executors.begin(), o.executors.end(), [](const auto& e) {
        return e.kind == executor_kind::process;
    });
    if (process && !process_pools_available) {
        throw spec_error("executor process:N is not available in this build (weft::process_pool "
                         "is not part of it)");
    }
    const bool redis = std::any_of(o.executors.begin(), o.executors.end(),
                                   [](const auto& e) { return e.kind == executor_kind::redis; });
    if (redis && !redis_pools_available) {
        throw spec_error("executor redis:URL is not available in this build (weft::redis_pool "
                         "is not part of it)");
    }
    if (o.scenarios.empty() && uses_crash(o.workload)) {
        const bool all_process =
            std::all_of(o.executors.begin(), o.executors.end(),
                        [](const auto& e) { return e.kind == executor_kind::process; });
        if (!all_process) {
            throw spec_error("workload " + quoted(o.workload.label) +
                             " crashes workers: only process:N executors survive that");
        }
    }
    if (o.tasks == 0 && o.duration_s <= 0) {
        throw spec_error("--tasks must be at least 1");
    }
    if (o.loops == 0 || o.loops > 256) {
        throw spec_error("--loops must be 1..256");
    }
    if (o.repeat == 0 || o.repeat > 1000) {
        throw spec_error("--repeat must be 1..1000");
    }
}

} // namespace weft::stress
