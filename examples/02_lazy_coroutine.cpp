// Seed 2: calling a coroutine function does nothing until the result is awaited.
//
//     async def nested():
//         return 42
//
//     async def main():
//         nested()                  # creates a coroutine object that never runs
//                                   # (RuntimeWarning: coroutine 'nested' was never awaited)
//         print(await nested())     # runs it: 42
//
//     asyncio.run(main())

#include "example.hpp"

#include <weft/weft.hpp>

using example::check;
using example::say;

bool nested_ran = false;

weft::task<int> nested() {
    nested_ran = true;
    co_return 42;
}

weft::task<> main_task() {
    // Calling nested() creates a weft::task<int> and stops before the first line of its body:
    // weft tasks are lazy, like Python coroutine objects. weft::task is [[nodiscard]], so writing
    // `nested();` alone is a compiler warning, C++'s version of "coroutine was never awaited".
    {
        weft::task<int> never_awaited = nested();
        say("nested() called: body ran = ", nested_ran);
    } // dropped without being awaited: its body never runs

    // Awaiting it runs the body and yields its co_return value.
    int value = co_await nested();
    say("await nested() -> ", value, ": body ran = ", nested_ran);
    check(value == 42, "await nested() yields 42");
}

int main() {
    weft::run(main_task());

    example::check_transcript("nested() called: body ran = false\n"
                              "await nested() -> 42: body ran = true\n");
    return example::exit_status();
}
