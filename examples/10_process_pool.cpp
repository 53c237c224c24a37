// A crashing native function, isolated in a process pool, while the program keeps answering.
//
// Python's ProcessPoolExecutor runs work in other processes, but one worker that dies (a
// segfault in a C extension, os._exit) raises BrokenProcessPool and poisons the whole pool. Here
// a "parser" written in native code crashes on bad input: only the request that carried it fails
// (weft::worker_crashed), the pool starts a new worker, the other requests are answered, and a
// "heartbeat" task on the same loop never stops. A call stuck in an endless loop is cancelled by
// wait_for, which kills its worker: weft can cancel blocking work that is already running.
//
// Rules of the process pool: weft::init(argc, argv) first in main; functions registered with
// WEFT_REMOTE at namespace scope; arguments and results serialisable (std types, or a type with
// a serialize member).

#include "example.hpp"

#include <weft/executors/process_pool.hpp>
#include <weft/weft.hpp>

#include <csignal>
#include <string>
#include <vector>

using namespace std::chrono_literals;

/// A native parser with a bug: input starting with '!' makes it write through a null pointer.
int parse_length(std::string input) {
    if (!input.empty() && input[0] == '!') {
        std::signal(SIGSEGV, SIG_DFL); // die of the signal itself, even under a sanitizer
        std::raise(SIGSEGV);
    }
    return static_cast<int>(input.size());
}
WEFT_REMOTE(parse_length);

/// A call that never returns.
int hang(int) {
    for (;;) {
        asm volatile("" ::: "memory");
    }
}
WEFT_REMOTE(hang);

weft::task<void> heartbeat(int& beats, bool& stop) {
    while (!stop) {
        ++beats;
        co_await weft::sleep(10ms);
    }
}

weft::task<void> serve() {
    weft::process_pool pool({.workers = 2});
    int beats = 0;
    bool stop = false;
    auto beat = weft::create_task(heartbeat(beats, stop));

    const std::vector<std::string> requests = {"hello", "!boom", "weft", "!again", "pool"};
    std::vector<weft::future<int>> answers;
    for (const auto& r : requests) {
        answers.push_back(weft::run_in_executor(pool, parse_length, r));
    }
    int crashed = 0;
    for (std::size_t i = 0; i < requests.size(); ++i) {
        try {
            int n = co_await answers[i];
            example::say("request '", requests[i], "': ", n, " bytes");
        } catch (const weft::worker_crashed& e) {
            ++crashed;
            example::say("request '", requests[i], "': worker crashed (signal ", e.signal(), ")");
        }
    }
    example::check(crashed == 2, "two requests crashed their worker");

    // An endless call: wait_for cancels it, and cancelling kills the worker running it.
    try {
        auto stuck = weft::run_in_executor(pool, hang, 0);
        co_await weft::wait_for(stuck, 200ms);
    } catch (const weft::timeout_error&) {
        example::say("the stuck call was cancelled and its worker killed");
    }
    int after = co_await weft::run_in_executor(pool, parse_length, std::string("still serving"));
    example::say("after all that: ", after, " bytes");

    stop = true;
    co_await beat;
    example::check(beats > 5, "the heartbeat kept running on the loop meanwhile");
    example::check(pool.workers_started() >= 4, "the crashed workers were replaced");
}

int main(int argc, char** argv) {
    weft::init(argc, argv);
    weft::run(serve());
    example::check_transcript("request 'hello': 5 bytes\n"
                              "request '!boom': worker crashed (signal 11)\n"
                              "request 'weft': 4 bytes\n"
                              "request '!again': worker crashed (signal 11)\n"
                              "request 'pool': 4 bytes\n"
                              "the stuck call was cancelled and its worker killed\n"
                              "after all that: 13 bytes\n");
    return example::exit_status();
}
