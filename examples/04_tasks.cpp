// Seed 4: tasks run concurrently with the code that created them.
//
//     async def nested():
//         print('nested: started')
//         await asyncio.sleep(0.02)
//         print('nested: returning 42')
//         return 42
//
//     async def slow_job():
//         try:
//             await asyncio.sleep(3600)
//         except asyncio.CancelledError:
//             print('slow_job: cancelled, cleaning up')
//             raise
//
//     async def main():
//         task = asyncio.create_task(nested())   # scheduled to run soon
//         print('main: task created')
//         await asyncio.sleep(0.01)              # nested() runs while main sleeps
//         print('main: still running while nested sleeps')
//         print('main: await task ->', await task)
//
//         job = asyncio.create_task(slow_job())
//         await asyncio.sleep(0)                 # let it start
//         job.cancel()
//         try:
//             await job
//         except asyncio.CancelledError:
//             print('main: job.cancelled() =', job.cancelled())
//
//     asyncio.run(main())
//
// Awaitables are coroutines (weft::task), tasks and futures (weft::future, which create_task
// returns).

#include "example.hpp"

#include <weft/weft.hpp>

#include <chrono>

using namespace std::chrono_literals;
using example::check;
using example::say;

weft::task<int> nested() {
    say("nested: started");
    co_await weft::sleep(20ms);
    say("nested: returning 42");
    co_return 42;
}

weft::task<> slow_job() {
    try {
        co_await weft::sleep(1h);
    } catch (const weft::cancelled_error&) {
        // Cancellation arrives as an exception at the suspension point. It does not derive from
        // std::exception, so a stray catch (const std::exception&) cannot swallow it.
        say("slow_job: cancelled, cleaning up");
        throw;
    }
}

weft::task<> main_task() {
    // create_task schedules the coroutine on this loop and returns its future at once.
    weft::future<int> task = weft::create_task(nested());
    say("main: task created");
    co_await weft::sleep(10ms); // main suspends: the loop starts nested()
    say("main: still running while nested sleeps");
    int value = co_await task; // waits until nested() has returned
    say("main: await task -> ", value);
    check(value == 42, "the task's result is 42");

    weft::future<> job = weft::create_task(slow_job());
    co_await weft::yield(); // asyncio.sleep(0): lets slow_job() start
    job.cancel();
    try {
        co_await job;
        check(false, "awaiting a cancelled task throws cancelled_error");
    } catch (const weft::cancelled_error&) {
        say("main: job.cancelled() = ", job.cancelled());
    }
    check(job.cancelled(), "the job reports cancelled()");
}

int main() {
    weft::run(main_task());

    // nested() and main_task() interleave: the task ran concurrently with its creator.
    example::check_transcript("main: task created\n"
                              "nested: started\n"
                              "main: still running while nested sleeps\n"
                              "nested: returning 42\n"
                              "main: await task -> 42\n"
                              "slow_job: cancelled, cleaning up\n"
                              "main: job.cancelled() = true\n");
    return example::exit_status();
}
