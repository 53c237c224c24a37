// Parsing of `weft stress` specs: executors, workloads, scenarios, concurrency lists.

#include "spec.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace weft::stress;

namespace {

template <class F>
std::string error_of(F f) {
    try {
        f();
    } catch (const spec_error& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST(stress_spec, parses_executor_lists) {
    const auto e = parse_executors("tbb,tbb:4,threads:8,process:2,inline");
    ASSERT_EQ(e.size(), 5u);
    EXPECT_EQ(e[0].kind, executor_kind::tbb);
    EXPECT_EQ(e[0].workers, 0u);
    EXPECT_EQ(e[0].label, "tbb");
    EXPECT_EQ(e[1].workers, 4u);
    EXPECT_EQ(e[1].label, "tbb:4");
    EXPECT_EQ(e[2].kind, executor_kind::threads);
    EXPECT_EQ(e[2].workers, 8u);
    EXPECT_EQ(e[3].kind, executor_kind::process);
    EXPECT_EQ(e[3].workers, 2u);
    EXPECT_EQ(e[4].kind, executor_kind::inline_);
    EXPECT_EQ(e[4].label, "inline");
}

TEST(stress_spec, rejects_bad_executors_with_a_message) {
    EXPECT_NE(
        error_of([] { (void)parse_executors("fibers:4"); }).find("unknown executor 'fibers:4'"),
        std::string::npos);
    EXPECT_NE(error_of([] { (void)parse_executors("threads"); }).find("needs a worker count"),
              std::string::npos);
    EXPECT_NE(error_of([] { (void)parse_executors("threads:0"); }).find("worker count"),
              std::string::npos);
    EXPECT_NE(error_of([] { (void)parse_executors("threads:x"); }).find("worker count"),
              std::string::npos);
    EXPECT_NE(error_of([] { (void)parse_executors("threads:99999"); }).find("worker count"),
              std::string::npos);
    EXPECT_NE(error_of([] { (void)parse_executors("inline:2"); }).find("no worker count"),
              std::string::npos);
    EXPECT_NE(error_of([] { (void)parse_executors("tbb,,inline"); }).find("empty entry"),
              std::string::npos);
    EXPECT_NE(error_of([] { (void)parse_executors(""); }).find("empty entry"), std::string::npos);
    EXPECT_NE(error_of([] { (void)parse_executors("tbb:2,tbb:2"); }).find("listed twice"),
              std::string::npos);
}

TEST(stress_spec, parses_redis_executors_with_their_options) {
    const auto e =
        parse_executors("threads:2,redis:unix:///tmp/r.sock?db=1,workers=2,per_worker=3,"
                        "queue=q,in_flight=64,prefetch=0,redis:redis://u:secret@h:6379/2,inline");
    ASSERT_EQ(e.size(), 4u);
    EXPECT_EQ(e[0].label, "threads:2");
    EXPECT_EQ(e[1].kind, executor_kind::redis);
    EXPECT_EQ(e[1].redis.url, "unix:///tmp/r.sock?db=1"); // a URL's '=' is the URL's
    EXPECT_EQ(e[1].redis.workers, 2u);
    EXPECT_EQ(e[1].redis.per_worker, 3u);
    EXPECT_EQ(e[1].redis.queue, "q");
    EXPECT_EQ(e[1].redis.in_flight, 64u);
    EXPECT_EQ(e[1].label, "redis:unix:///tmp/r.sock?db=1,queue=q,in_flight=64,workers=2,"
                          "per_worker=3,prefetch=0");
    ASSERT_TRUE(e[1].redis.prefetch.has_value());
    EXPECT_EQ(*e[1].redis.prefetch, 0u);
    // Defaults: the stress queue, no workers of the run's own; the password stays out of labels.
    EXPECT_EQ(e[2].redis.url, "redis://u:secret@h:6379/2");
    EXPECT_EQ(e[2].redis.queue, default_redis_queue);
    EXPECT_EQ(e[2].redis.workers, 0u);
    EXPECT_FALSE(e[2].redis.prefetch.has_value());
    EXPECT_EQ(e[2].label, "redis:redis://u:***@h:6379/2");
    EXPECT_EQ(e[3].kind, executor_kind::inline_);
}

TEST(stress_spec, rejects_bad_redis_executors_with_a_message) {
    EXPECT_NE(error_of([] { (void)parse_executors("redis"); }).find("needs the broker URL"),
              std::string::npos);
    EXPECT_NE(error_of([] { (void)parse_executors("redis:http://h"); }).find("broker URL is"),
              std::string::npos);
    EXPECT_NE(error_of([] {
                  (void)parse_executors("threads:2,workers=2");
              }).find("follows no redis:URL executor"),
              std::string::npos);
    EXPECT_NE(error_of([] {
                  (void)parse_executors("redis:redis://h,colour=red");
              }).find("unknown redis option 'colour=red'"),
              std::string::npos);
    EXPECT_NE(error_of([] {
                  (void)parse_executors("redis:redis://h,workers=x");
              }).find("workers must be a whole number"),
              std::string::npos);
    EXPECT_NE(error_of([] {
                  (void)parse_executors("redis:redis://h,in_flight=0");
              }).find("in_flight must be"),
              std::string::npos);
    EXPECT_NE(error_of([] {
                  (void)parse_executors("redis:redis://h,per_worker=2");
              }).find("give workers=N too"),
              std::string::npos);
    EXPECT_NE(error_of([] {
                  (void)parse_executors("redis:redis://h,prefetch=2");
              }).find("give workers=N too"),
              std::string::npos);
    EXPECT_NE(
        error_of([] { (void)parse_executors("redis:redis://h,queue="); }).find("needs a name"),
        std::string::npos);
    EXPECT_NE(error_of([] {
                  (void)parse_executors("redis:redis://h,redis:redis://h");
              }).find("listed twice"),
              std::string::npos);

    stress_options o;
    o.executors = parse_executors("redis:redis://h,workers=1");
    o.workload = parse_workload("crash:0.1");
    o.concurrency = {1};
    EXPECT_NE(error_of([&] { validate(o); }).find("only process:N executors"), std::string::npos);
    o.workload = parse_workload("cpu:1");
    if (redis_pools_available) {
        EXPECT_NO_THROW(validate(o));
    } else {
        EXPECT_NE(error_of([&] { validate(o); }).find("not available in this build"),
                  std::string::npos);
    }
}

TEST(stress_spec, parses_every_workload) {
    EXPECT_EQ(parse_workload("cpu:50").kind, workload_kind::cpu);
    EXPECT_EQ(parse_workload("cpu:50").amount, 50u);
    EXPECT_EQ(parse_workload("sleep:1000").kind, workload_kind::sleep);
    EXPECT_EQ(parse_workload("sleep:0").amount, 0u);
    EXPECT_EQ(parse_workload("io:4096").kind, workload_kind::io);
    EXPECT_EQ(parse_workload("io:4k").amount, 4096u);
    EXPECT_EQ(parse_workload("alloc:1m").amount, 1024u * 1024);
    EXPECT_EQ(parse_workload("alloc:1m").label, "alloc:1048576");
    const auto crash = parse_workload("crash:0.25");
    EXPECT_EQ(crash.kind, workload_kind::crash);
    EXPECT_DOUBLE_EQ(crash.rate, 0.25);
    const auto mix = parse_workload("mixed:9*cpu:50+1*sleep:1000");
    EXPECT_EQ(mix.kind, workload_kind::mixed);
    ASSERT_EQ(mix.parts.size(), 2u);
    EXPECT_DOUBLE_EQ(mix.parts[0].first, 9);
    EXPECT_EQ(mix.parts[0].second.kind, workload_kind::cpu);
    EXPECT_DOUBLE_EQ(mix.parts[1].first, 1);
    EXPECT_EQ(mix.parts[1].second.amount, 1000u);
    EXPECT_EQ(mix.label, "mixed:9*cpu:50+1*sleep:1000");
    EXPECT_TRUE(uses_crash(parse_workload("mixed:0.5*crash:1+0.5*cpu:1")));
    EXPECT_FALSE(uses_crash(mix));
}

TEST(stress_spec, rejects_bad_workloads_with_a_message) {
    for (const char* bad :
         {"cpu", "cpu:", "cpu:-1", "cpu:1.5", "cpu:99999999999", "spin:10", "io:1t", "alloc:2g",
          "crash:1.5", "crash:x", "mixed:cpu:50", "mixed:1*cpu:50", "mixed:0*cpu:50+1*sleep:1",
          "mixed:1*mixed:1*cpu:1+1*cpu:1+1*cpu:1", "mixed:1*cpu:1+x*cpu:2", ""}) {
        const std::string msg = error_of([&] { (void)parse_workload(bad); });
        EXPECT_FALSE(msg.empty()) << bad;
    }
    EXPECT_NE(error_of([] { (void)parse_workload("spin:10"); }).find("unknown workload 'spin:10'"),
              std::string::npos);
}

TEST(stress_spec, parses_scenarios_and_concurrency) {
    const auto s = parse_scenarios("cancel-storm,spawn-storm,cancel-storm");
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s[0], scenario_kind::cancel_storm);
    EXPECT_EQ(s[1], scenario_kind::spawn_storm);
    EXPECT_EQ(parse_scenarios("all").size(), 6u);
    for (scenario_kind k : all_scenarios()) {
        EXPECT_EQ(parse_scenarios(std::string(scenario_name(k))).at(0), k);
    }
    EXPECT_NE(error_of([] { (void)parse_scenarios("fork-bomb"); }).find("unknown scenario"),
              std::string::npos);

    EXPECT_EQ(parse_concurrency("1,8,64,512"), (std::vector<std::size_t>{1, 8, 64, 512}));
    for (const char* bad : {"", "0", "1,,2", "-1", "a", "100001", "1.5"}) {
        EXPECT_FALSE(error_of([&] { (void)parse_concurrency(bad); }).empty()) << bad;
    }
}

TEST(stress_spec, parses_latency_bounds_with_their_unit) {
    EXPECT_DOUBLE_EQ(parse_latency_us("5ms"), 5000);
    EXPECT_DOUBLE_EQ(parse_latency_us("250us"), 250);
    EXPECT_DOUBLE_EQ(parse_latency_us("0.5s"), 500000);
    EXPECT_DOUBLE_EQ(parse_latency_us("1500ns"), 1.5);
    for (const char* bad : {"", "5", "ms", "-1ms", "0ms", "5 ms", "5min", "nanms", "infs"}) {
        EXPECT_NE(error_of([&] { (void)parse_latency_us(bad); }).find("unit: ns, us, ms or s"),
                  std::string::npos)
            << bad;
    }
}

TEST(stress_spec, validate_checks_that_options_fit_together) {
    stress_options o;
    o.executors = parse_executors("tbb");
    o.workload = parse_workload("cpu:1");
    o.concurrency = {1};
    EXPECT_NO_THROW(validate(o));

    stress_options crash = o;
    crash.workload = parse_workload("crash:0.1");
    EXPECT_NE(error_of([&] { validate(crash); }).find("only process:N executors"),
              std::string::npos);

    stress_options process = o;
    process.executors = parse_executors("process:2");
    if (process_pools_available) {
        EXPECT_NO_THROW(validate(process));
        process.workload = parse_workload("mixed:1*cpu:1+1*crash:0.5");
        EXPECT_NO_THROW(validate(process));
        process.executors = parse_executors("process:2,threads:2");
        EXPECT_NE(error_of([&] { validate(process); }).find("only process:N executors"),
                  std::string::npos);
    } else {
        EXPECT_NE(error_of([&] { validate(process); }).find("not available in this build"),
                  std::string::npos);
    }

    stress_options none = o;
    none.executors.clear();
    EXPECT_FALSE(error_of([&] { validate(none); }).empty());
    none.scenarios = {scenario_kind::spawn_storm};
    EXPECT_NO_THROW(validate(none));

    stress_options loops = o;
    loops.loops = 0;
    EXPECT_FALSE(error_of([&] { validate(loops); }).empty());
}
