// Seed 3: a chain of awaits.
//
//     async def add(a, b):
//         print(f'add: {a} + {b}')
//         await asyncio.sleep(1.0)
//         return a + b
//
//     async def print_add(a, b):
//         result = await add(a, b)
//         print(f'print_add: {a} + {b} = {result}')
//
//     asyncio.run(print_add(1, 2))
//
// Prints `add: 1 + 2`, then one second later `print_add: 1 + 2 = 3`.
// `--fast` (or WEFT_EXAMPLE_FAST=1) sleeps 50 ms instead, for the test suite.

#include "example.hpp"

#include <weft/weft.hpp>

#include <chrono>
#include <cstdlib>
#include <string_view>

using namespace std::chrono_literals;
using example::check;
using example::say;

std::chrono::milliseconds delay = 1000ms;
weft::clock::time_point add_printed;    // when add() printed its line
weft::clock::time_point result_printed; // when print_add() printed its line

weft::task<int> add(int a, int b) {
    say("add: ", a, " + ", b);
    add_printed = weft::clock::now();
    // Suspends add() and, through the chain of awaits, print_add(): the loop is free meanwhile.
    co_await weft::sleep(delay);
    co_return a + b;
}

weft::task<> print_add(int a, int b) {
    int result = co_await add(a, b); // runs add() and resumes here with its co_return value
    say("print_add: ", a, " + ", b, " = ", result);
    result_printed = weft::clock::now();
}

int main(int argc, char** argv) {
    const char* env = std::getenv("WEFT_EXAMPLE_FAST");
    if ((argc > 1 && std::string_view(argv[1]) == "--fast") ||
        (env && std::string_view(env) == "1")) {
        delay = 50ms;
    }

    weft::run(print_add(1, 2));

    example::check_transcript("add: 1 + 2\n"
                              "print_add: 1 + 2 = 3\n");
    auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(result_printed - add_printed);
    check(gap >= delay, "the second line comes at least `delay` after the first");
    check(gap < delay + 2s, "the second line comes about `delay` after the first");
    std::cout << "(the lines were " << gap.count() << " ms apart)\n";
    return example::exit_status();
}
