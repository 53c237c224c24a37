// Seed 7: gather waits for all its awaitables and returns their results in argument order.
//
//     async def fetch(name, delay):
//         await asyncio.sleep(delay)
//         print(f'{name} done')
//         return name
//
//     async def square(i):
//         await asyncio.sleep(0.01 * (5 - i))
//         return i * i
//
//     async def main():
//         # c finishes first and a last, yet the results keep the argument order
//         print(await asyncio.gather(fetch('a', 0.06), fetch('b', 0.04), fetch('c', 0.02)))
//         # a list of awaitables is unpacked into separate arguments
//         print(await asyncio.gather(*[square(i) for i in range(5)]))
//
//     asyncio.run(main())
//
// (A popular study note claims gather may return results out of order; neither asyncio nor weft
// does.) In weft, gather(a, b, c) returns a std::tuple and gather(range) a std::vector.

#include "example.hpp"

#include <weft/weft.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using example::check;
using example::say;

weft::task<std::string> fetch(std::string name, std::chrono::milliseconds delay) {
    co_await weft::sleep(delay);
    say(name, " done");
    co_return name;
}

weft::task<int> square(int i) {
    co_await weft::sleep(10ms * (5 - i)); // the last one finishes first
    co_return i* i;
}

weft::task<> main_task() {
    // Separate arguments: the results come back as a tuple, one element per argument.
    auto [a, b, c] = co_await weft::gather(fetch("a", 60ms), fetch("b", 40ms), fetch("c", 20ms));
    say("gather -> [", a, ", ", b, ", ", c, "]");
    check(a == "a" && b == "b" && c == "c", "gather keeps argument order");

    // A range (the *list form): the results come back as a vector, in range order.
    std::vector<weft::task<int>> squares;
    for (int i = 0; i < 5; ++i) {
        squares.push_back(square(i));
    }
    std::vector<int> results = co_await weft::gather(squares);
    std::string list;
    for (int r : results) {
        list += (list.empty() ? "" : ", ") + std::to_string(r);
    }
    say("gather(squares) -> [", list, "]");
    check(results == std::vector<int>{0, 1, 4, 9, 16}, "gather over a range keeps range order");
}

int main() {
    weft::run(main_task());

    example::check_transcript("c done\n"
                              "b done\n"
                              "a done\n"
                              "gather -> [a, b, c]\n"
                              "gather(squares) -> [0, 1, 4, 9, 16]\n");
    return example::exit_status();
}
