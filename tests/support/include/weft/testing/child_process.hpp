#pragma once

/// Runs a check in a child process (gtest's death-test machinery), for behaviour that may crash
/// the runtime: a crash then fails that one test instead of ending the whole test program.
///
///     static void close_with_a_sleeping_task(weft::testing::child_checks& check) {
///         ...
///         check(cleaned_up, "close() unwound the task");
///     }
///     TEST(loop, close_unwinds_pending_tasks) {
///         WEFT_EXPECT_IN_CHILD_PROCESS(close_with_a_sleeping_task);
///     }
///
/// gtest expectations in the child are not reported to the parent: use child_checks, whose
/// failures go to stderr, which the parent prints when the child does not exit 0.

#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <string_view>

#include <unistd.h>

namespace weft::testing {

/// Expectations checked in a child process.
class child_checks {
public:
    void operator()(bool ok, std::string_view what) {
        if (!ok) {
            std::cerr << "expectation failed: " << what << std::endl;
            failed_ = true;
        }
    }
    /// Ends the child: status 0 when every check held (atexit handlers, such as LeakSanitizer's,
    /// still run and may turn it into a failure).
    [[noreturn]] void exit() const { std::exit(failed_ ? 1 : 0); }

private:
    bool failed_ = false;
};

} // namespace weft::testing

/// Runs fn(weft::testing::child_checks&) in a child process that a watchdog ends after
/// `seconds` (a hang fails the test with SIGALRM); passes when the child exits 0.
#define WEFT_EXPECT_IN_CHILD_PROCESS_WITHIN(fn, seconds)                                           \
    EXPECT_EXIT(                                                                                   \
        {                                                                                          \
            ::alarm(seconds);                                                                      \
            ::weft::testing::child_checks weft_checks;                                             \
            fn(weft_checks);                                                                       \
            weft_checks.exit();                                                                    \
        },                                                                                         \
        ::testing::ExitedWithCode(0), "")

#define WEFT_EXPECT_IN_CHILD_PROCESS(fn) WEFT_EXPECT_IN_CHILD_PROCESS_WITHIN(fn, 60)
