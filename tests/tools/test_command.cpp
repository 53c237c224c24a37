// The `weft stress` command line: good and bad arguments through the same CLI11 parser the tool
// builds, and their translation into stress_options.

#include "command.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace weft::stress;

namespace {

/// Parses `weft stress ARGS...`; returns the CLI11 error message, or "" when it parsed.
std::string parse(command_line& cl, std::vector<std::string> args) {
    CLI::App app{"weft", "weft"};
    add_stress_options(app, cl);
    args.insert(args.begin(), "stress");
    std::reverse(args.begin(), args.end()); // CLI11 takes the arguments reversed
    try {
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST(stress_command, defaults_make_a_short_sweep) {
    command_line cl;
    ASSERT_EQ(parse(cl, {}), "");
    const stress_options o = to_options(cl);
    EXPECT_EQ(o.executors.size(), 3u);
    EXPECT_EQ(o.workload.label, "cpu:50");
    EXPECT_EQ(o.concurrency, (std::vector<std::size_t>{1, 8, 64}));
    EXPECT_EQ(o.tasks, 0u); // neither --tasks nor --duration: half a second per cell
    EXPECT_DOUBLE_EQ(o.duration_s, 0.5);
    EXPECT_TRUE(o.scenarios.empty());
    EXPECT_DOUBLE_EQ(o.idle_s, 1.0);
    EXPECT_FALSE(o.hooks.lose_id.has_value());
}

TEST(stress_command, every_option_reaches_the_options) {
    command_line cl;
    ASSERT_EQ(parse(cl, {"--executor",  "tbb:4,threads:8",
                         "-w",          "mixed:9*cpu:50+1*sleep:1000",
                         "-c",          "1,8,64,512",
                         "--duration",  "0.5",
                         "--loops",     "2",
                         "--warmup",    "0.25",
                         "--rate",      "1000",
                         "--idle",      "0",
                         "--recommend", "--json=out.json",
                         "--csv",       "--html",
                         "page.html",   "--no-progress"}),
              "");
    EXPECT_EQ(cl.json, "out.json");
    EXPECT_EQ(cl.csv, "-");
    EXPECT_EQ(cl.html, "page.html");
    EXPECT_TRUE(cl.no_progress);
    const stress_options o = to_options(cl);
    ASSERT_EQ(o.executors.size(), 2u);
    EXPECT_EQ(o.executors[1].label, "threads:8");
    EXPECT_EQ(o.workload.parts.size(), 2u);
    EXPECT_EQ(o.concurrency.size(), 4u);
    EXPECT_DOUBLE_EQ(o.duration_s, 0.5);
    EXPECT_EQ(o.loops, 2u);
    EXPECT_DOUBLE_EQ(o.warmup_s, 0.25);
    EXPECT_DOUBLE_EQ(o.rate, 1000);
    EXPECT_DOUBLE_EQ(o.idle_s, 0);
    EXPECT_TRUE(o.recommend);
}

TEST(stress_command, json_and_csv_take_an_optional_file) {
    command_line a;
    ASSERT_EQ(parse(a, {"--json", "out.json", "--csv"}), "");
    EXPECT_EQ(a.json, "out.json");
    EXPECT_EQ(a.csv, "-");
    command_line b;
    ASSERT_EQ(parse(b, {"--csv=x.csv", "--json"}), "");
    EXPECT_EQ(b.json, "-");
    EXPECT_EQ(b.csv, "x.csv");
    command_line none;
    ASSERT_EQ(parse(none, {}), "");
    EXPECT_EQ(none.json, "");
    EXPECT_EQ(none.csv, "");
}

TEST(stress_command, scenarios_replace_the_default_executors) {
    command_line cl;
    ASSERT_EQ(parse(cl, {"--scenario", "spawn-storm,cross-loop"}), "");
    stress_options o = to_options(cl);
    EXPECT_TRUE(o.executors.empty());
    EXPECT_EQ(o.scenarios.size(), 2u);

    command_line both;
    ASSERT_EQ(parse(both, {"--scenario", "all", "--executor", "inline"}), "");
    o = to_options(both);
    EXPECT_EQ(o.executors.size(), 1u);
    EXPECT_EQ(o.scenarios.size(), 6u);
}

TEST(stress_command, bad_arguments_are_refused_with_a_message) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"--executor", "gpu:1"}, "unknown executor 'gpu:1'"},
        {{"--executor", "threads"}, "needs a worker count"},
        {{"--workload", "cpu"}, "needs a size"},
        {{"--workload", "crash:2"}, "crash rate"},
        {{"--scenario", "nap-storm"}, "unknown scenario"},
        {{"--concurrency", "0"}, "concurrency '0'"},
        {{"--tasks", "0"}, "tasks"},
        {{"--tasks", "10", "--duration", "1"}, "excludes"},
        {{"--loops", "0"}, "loops"},
        {{"--rate", "-5"}, "rate"},
        {{"--bogus"}, "bogus"},
    };
    for (const auto& [args, expected] : cases) {
        command_line cl;
        const std::string msg = parse(cl, args);
        EXPECT_NE(msg.find(expected), std::string::npos)
            << args[0] << ": got '" << msg << "', expected it to mention '" << expected << "'";
    }
}

TEST(stress_command, combinations_are_checked_after_parsing) {
    command_line crash;
    ASSERT_EQ(parse(crash, {"--workload", "crash:0.1", "--executor", "threads:2"}), "");
    EXPECT_THROW((void)to_options(crash), spec_error);

    command_line process;
    ASSERT_EQ(parse(process, {"--executor", "process:2"}), "");
    if (process_pools_available) {
        EXPECT_EQ(to_options(process).executors.at(0).kind, executor_kind::process);
    } else {
        try {
            (void)to_options(process);
            ADD_FAILURE() << "process:2 accepted";
        } catch (const spec_error& e) {
            EXPECT_NE(std::string(e.what()).find("not available in this build"), std::string::npos);
        }
    }

    command_line both_stdout;
    ASSERT_EQ(parse(both_stdout, {"--json", "--csv"}), "");
    EXPECT_THROW((void)to_options(both_stdout), spec_error);
    EXPECT_EQ(run_command(both_stdout), 2);
}

TEST(stress_command, repeat_and_p99_max_reach_the_options) {
    command_line cl;
    ASSERT_EQ(parse(cl, {"--repeat", "5", "--recommend", "--p99-max", "2.5ms"}), "");
    const stress_options o = to_options(cl);
    EXPECT_EQ(o.repeat, 5u);
    EXPECT_TRUE(o.recommend);
    EXPECT_DOUBLE_EQ(o.p99_max_us, 2500);

    command_line defaults;
    ASSERT_EQ(parse(defaults, {}), "");
    EXPECT_EQ(to_options(defaults).repeat, 1u);
    EXPECT_DOUBLE_EQ(to_options(defaults).p99_max_us, 0);

    command_line bad;
    EXPECT_NE(parse(bad, {"--repeat", "0"}), "");
    EXPECT_NE(parse(bad, {"--recommend", "--p99-max", "5"}).find("unit"), std::string::npos);
    command_line alone;
    EXPECT_NE(parse(alone, {"--p99-max", "5ms"}).find("--recommend"), std::string::npos);
}

TEST(stress_command, an_unwritable_report_path_fails_before_the_sweep) {
    command_line cl;
    ASSERT_EQ(parse(cl, {"-e", "threads:1", "-n", "100000000", "--idle", "0", "--html",
                         "/nonexistent/x.html"}),
              "");
    // 1e8 calls would take minutes: returning at once shows that nothing ran.
    testing::internal::CaptureStderr();
    EXPECT_EQ(run_command(cl), 2);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("/nonexistent/x.html"), std::string::npos) << err;
    EXPECT_NE(err.find("No such file or directory"), std::string::npos) << err;
}

TEST(stress_command, help_documents_every_option_with_an_example) {
    CLI::App app{"weft", "weft"};
    command_line cl;
    CLI::App* sub = add_stress_options(app, cl);
    const std::string help = sub->help();
    for (const char* opt :
         {"--executor", "--workload", "--scenario", "--concurrency", "--tasks", "--duration",
          "--loops", "--warmup", "--rate", "--idle", "--recommend", "--json", "--csv", "--html",
          "--no-progress", "--repeat", "--p99-max"}) {
        EXPECT_NE(help.find(opt), std::string::npos) << opt;
    }
    EXPECT_EQ(help.find("--inject-loss"), std::string::npos); // a hidden test hook
    EXPECT_NE(help.find("Examples:"), std::string::npos);
    EXPECT_NE(help.find("mixed:<w1>*<spec>+<w2>*<spec>"), std::string::npos);
    // Every visible option's description carries an example (or says when it applies).
    for (const CLI::Option* opt : sub->get_options()) {
        if (opt->get_group().empty() || opt->get_name() == "--help") {
            continue;
        }
        const std::string& d = opt->get_description();
        EXPECT_TRUE(d.find("example") != std::string::npos ||
                    d.find("terminal") != std::string::npos)
            << opt->get_name();
    }
}
