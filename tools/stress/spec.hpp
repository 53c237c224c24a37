#pragma once

// `weft stress`: what the command line asks for, parsed and checked. Every parser throws
// spec_error with a message naming the bad part and what would be accepted; the command turns it
// into exit status 2.

#include <weft/runtime/error.hpp>
#include <weft/runtime/version.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::stress {

#if WEFT_HAS_PROCESS_POOL && __has_include(<weft/executors/process_pool.hpp>)
#define WEFT_STRESS_PROCESS_POOL 1
#else
#define WEFT_STRESS_PROCESS_POOL 0
#endif

/// Whether this build can test process pools (`process:N`, `crash:<rate>`).
inline constexpr bool process_pools_available = WEFT_STRESS_PROCESS_POOL == 1;

#if WEFT_STRESS_PROCESS_POOL && WEFT_HAS_REDIS_POOL && __has_include(<weft/executors/redis_pool.hpp>)
#define WEFT_STRESS_REDIS_POOL 1
#else
#define WEFT_STRESS_REDIS_POOL 0
#endif

/// Whether this build can test redis pools (`redis:URL`) and serve them (`weft worker`).
inline constexpr bool redis_pools_available = WEFT_STRESS_REDIS_POOL == 1;

/// A command-line value that does not parse or does not make sense (exit status 2).
class spec_error : public error {
public:
    using error::error;
};

/// The kinds of executor `--executor` names.
enum class executor_kind { tbb, threads, process, inline_, redis };

/// The queue `redis:URL` executors and `weft worker` use unless told otherwise.
inline constexpr const char* default_redis_queue = "weft-stress";

/// What `redis:URL[,queue=NAME][,in_flight=N][,workers=N][,per_worker=N][,prefetch=N]` asks
/// for.
struct redis_spec {
    std::string url; ///< the broker, as given (password and all)
    std::string queue = default_redis_queue;
    std::size_t in_flight = 1024; ///< the pool's max_in_flight
    std::size_t workers = 0;      ///< `weft worker` processes started for the run (0: none)
    std::size_t per_worker = 1;   ///< calls each of those runs at once
    /// Calls each of those holds beyond the running ones (its --prefetch); empty: the worker's
    /// default, 3 per running call.
    std::optional<std::size_t> prefetch;
};

/// One executor under test: `tbb[:N]`, `threads:N`, `process:N`, `inline` or `redis:URL,...`.
struct executor_spec {
    executor_kind kind = executor_kind::tbb;
    /// Workers asked for; 0 = the executor's default (tbb only).
    std::size_t workers = 0;
    /// As written on the command line, normalised ("tbb", "tbb:4", "threads:8", "inline",
    /// "redis:unix:///tmp/r.sock,workers=2"); a password in a redis URL shows as "***".
    std::string label;
    /// The broker and its options (redis only).
    redis_spec redis;
};

/// The kinds of workload one call runs.
enum class workload_kind { cpu, sleep, io, alloc, crash, mixed };

/// What each call does: `cpu:<us>`, `sleep:<us>`, `io:<bytes>`, `alloc:<bytes>`,
/// `crash:<rate>` (process pools), or `mixed:<w1>*<spec>+<w2>*<spec>...`.
struct workload_spec {
    workload_kind kind = workload_kind::cpu;
    /// Microseconds (cpu, sleep) or bytes (io, alloc).
    std::uint64_t amount = 0;
    /// Share of calls that crash their worker (crash), in [0, 1].
    double rate = 0;
    /// The weighted parts of a mixed workload (weights as written; each part is not mixed).
    std::vector<std::pair<double, workload_spec>> parts;
    /// Normalised text ("cpu:50", "mixed:9*cpu:50+1*sleep:1000").
    std::string label;
};

/// Runtime scenarios (`--scenario`), which stress weft itself rather than an executor.
enum class scenario_kind {
    spawn_storm,
    cancel_storm,
    timer_storm,
    cross_loop,
    gather_fanout,
    queue_pingpong
};

/// Hooks for tests of the tool itself: they break the exactly-once guarantee on purpose.
struct test_hooks {
    /// This call id is dropped: it never reports that it ran.
    std::optional<std::uint64_t> lose_id;
    /// This call id reports twice.
    std::optional<std::uint64_t> double_id;
    /// Each executor runs a call that burns CPU through the idle check: a pool that spins.
    bool spin_while_idle = false;
};

/// Everything one `weft stress` run does.
struct stress_options {
    std::vector<executor_spec> executors;
    workload_spec workload;
    std::vector<scenario_kind> scenarios; ///< when not empty, scenarios run instead of executors
    std::vector<std::size_t> concurrency;
    std::uint64_t tasks = 2000; ///< calls per cell (when duration_s is 0)
    double duration_s = 0;      ///< seconds per cell instead of a call count
    std::size_t loops = 1;      ///< event loops submitting calls
    double warmup_s = 0;        ///< unmeasured run before each cell
    double rate = 0;            ///< open-loop arrivals per second (0: closed loop)
    double idle_s = 1;          ///< idle CPU window after the run (0: skipped)
    std::size_t repeat = 1;     ///< measured runs per cell; the median run is reported
    bool recommend = false;
    double p99_max_us = 0; ///< --recommend skips cells whose p99 exceeds it (0: no bound)
    bool progress = false; ///< progress bar on stderr (a TTY)
    test_hooks hooks;
};

/// Parses a comma-separated executor list. A redis executor's options follow it as entries of
/// their own ("redis:redis://host,queue=q,workers=2,threads:4"): an entry with '=' belongs to the
/// redis executor before it.
/// @throws spec_error for an unknown kind, a bad or missing count, an unknown or misplaced
/// option, or an empty list.
[[nodiscard]] std::vector<executor_spec> parse_executors(std::string_view text);

/// Parses one workload.
/// @throws spec_error for an unknown kind, a bad amount, or a malformed mix.
[[nodiscard]] workload_spec parse_workload(std::string_view text);

/// Parses a comma-separated scenario list.
/// @throws spec_error for an unknown scenario.
[[nodiscard]] std::vector<scenario_kind> parse_scenarios(std::string_view text);

/// Parses a comma-separated list of positive concurrency levels (at most 100000 each).
/// @throws spec_error for a bad number or an empty list.
[[nodiscard]] std::vector<std::size_t> parse_concurrency(std::string_view text);

/// Parses a latency bound: a number with a unit, ns, us, ms or s ("5ms", "250us", "0.5s"), into
/// microseconds.
/// @throws spec_error for a missing or unknown unit, or a value that is not positive and finite.
[[nodiscard]] double parse_latency_us(std::string_view text);

/// The scenario's command-line name ("spawn-storm").
[[nodiscard]] std::string_view scenario_name(scenario_kind s) noexcept;

/// Every scenario, in the order `--help` lists them.
[[nodiscard]] const std::vector<scenario_kind>& all_scenarios();

/// Whether the workload (or a part of a mix) crashes workers.
[[nodiscard]] bool uses_crash(const workload_spec& w) noexcept;

/// Checks that the options fit together (crash needs a process executor, a process executor
/// needs a build with process pools, ...).
/// @throws spec_error when they do not.
void validate(const stress_options& o);

} // namespace weft::stress
