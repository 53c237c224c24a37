// What weft::run() does once SIGINT or SIGTERM ended its main task: by default the program
// unwinds (its cleanup runs) and the process then dies by that signal (shell status 130/143, as
// Python after a KeyboardInterrupt); with interrupt_action::throw_interrupted, run() throws
// weft::interrupted instead. The default is checked in a forked child that the test signals.

#include <weft/runtime/event.hpp>
#include <weft/runtime/run.hpp>
#include <weft/runtime/sleep.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace std::chrono_literals;

namespace {

/// Writes all of text to fd (the child's report to the test).
void say(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n <= 0) {
            return;
        }
        done += static_cast<std::size_t>(n);
    }
}

/// The child's main task: says "ready" once waiting, and "cleanup" when cancelled, then lets the
/// cancellation out as a program that does not catch it would.
weft::task<void> wait_for_the_signal(int out) {
    struct cleanup {
        int fd;
        ~cleanup() { say(fd, "cleanup\n"); }
    } c{out};
    weft::event never;
    say(out, "ready\n");
    co_await never.wait();
}

struct child_result {
    int status = 0; ///< waitpid's status
    std::string out;
};

/// Forks a child that runs wait_for_the_signal under weft::run() with default options (writing
/// "after run" should run() return), sends it sig once it is ready, and collects what it said.
child_result run_child_and_signal(int sig, std::size_t loops) {
    int p[2];
    if (::pipe(p) != 0) {
        ADD_FAILURE() << "pipe failed";
        return {};
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(p[0]);
        weft::run(wait_for_the_signal(p[1]), weft::options{.loops = loops});
        say(p[1], "after run\n");
        std::_Exit(0);
    }
    ::close(p[1]);
    child_result r;
    bool signalled = false;
    char buf[256];
    for (;;) {
        pollfd pf{p[0], POLLIN, 0};
        if (::poll(&pf, 1, 30'000) != 1) { // generous: a stuck child fails the test
            ADD_FAILURE() << "the child said nothing for 30 s: " << r.out;
            ::kill(pid, SIGKILL);
            break;
        }
        const ssize_t n = ::read(p[0], buf, sizeof buf);
        if (n <= 0) {
            break; // the child is gone
        }
        r.out.append(buf, static_cast<std::size_t>(n));
        if (!signalled && r.out.find("ready\n") != std::string::npos) {
            signalled = true;
            ::kill(pid, sig);
        }
    }
    ::close(p[0]);
    ::waitpid(pid, &r.status, 0);
    return r;
}

weft::task<void> raise_then_wait(int sig) {
    weft::event never;
    std::raise(sig);
    co_await never.wait();
}

} // namespace

TEST(signal_exit, sigint_unwinds_then_the_process_dies_by_sigint) {
    const child_result r = run_child_and_signal(SIGINT, 2);
    EXPECT_TRUE(WIFSIGNALED(r.status)) << "status " << r.status << ", said: " << r.out;
    if (WIFSIGNALED(r.status)) {
        EXPECT_EQ(WTERMSIG(r.status), SIGINT); // a shell reports 130
    }
    EXPECT_EQ(r.out, "ready\ncleanup\n"); // cleanup ran; the code after run() did not
}

TEST(signal_exit, sigterm_unwinds_then_the_process_dies_by_sigterm) {
    const child_result r = run_child_and_signal(SIGTERM, 1);
    EXPECT_TRUE(WIFSIGNALED(r.status)) << "status " << r.status << ", said: " << r.out;
    if (WIFSIGNALED(r.status)) {
        EXPECT_EQ(WTERMSIG(r.status), SIGTERM); // a shell reports 143
    }
    EXPECT_EQ(r.out, "ready\ncleanup\n");
}

TEST(signal_exit, throw_interrupted_makes_run_throw_the_signal_number) {
    for (int sig : {SIGINT, SIGTERM}) {
        int got = 0;
        try {
            weft::run(raise_then_wait(sig),
                      weft::options{.loops = 2,
                                    .on_interrupt = weft::interrupt_action::throw_interrupted});
        } catch (const weft::interrupted& e) {
            got = e.signal();
            EXPECT_STREQ(e.what(),
                         sig == SIGINT ? "interrupted by SIGINT" : "interrupted by SIGTERM");
        }
        EXPECT_EQ(got, sig);
    }
}

TEST(signal_exit, a_cancellation_without_a_signal_still_rethrows_cancelled_error) {
    auto cancel_self = []() -> weft::task<void> {
        throw weft::cancelled_error("cancelled by the program");
        co_return;
    };
    EXPECT_THROW(weft::run(cancel_self(), weft::options{.loops = 1}), weft::cancelled_error);
}
