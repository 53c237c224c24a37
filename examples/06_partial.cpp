// Seed 6: run_in_executor's arguments, and functools.partial.
//
//     import asyncio
//     from functools import partial
//
//     async def main():
//         loop = asyncio.get_running_loop()
//         # run_in_executor passes positional arguments only ...
//         await loop.run_in_executor(None, print, 'Hello', 'Python')
//         # ... so keyword arguments go through partial, which can be called again with more
//         hello = partial(print, 'Hello', 'Python', end=' ')
//         hello('Script', sep='-')          # Hello-Python-Script, and the line stays open
//         print('(end kept the line open)')
//         await loop.run_in_executor(None, partial(print, 'Hello', 'Python', sep='-'), 'Script')
//
//     asyncio.run(main())
//
// C++ has no keyword arguments. Python's print(*words, sep=' ', end='\n') becomes print_with: an
// options struct first (designated initialisers name the "keywords"), then the words. Two ways
// bind arguments for a later call:
//  - a lambda, the everyday way, which can also take "keywords" at the call;
//  - weft::partial(fn, args...), functools.partial: it stores copies of the bound arguments and
//    appends the arguments of each call. Process pools need it, since a lambda cannot be sent to
//    another process while a partial's parts can.

#include "example.hpp"

#include <weft/weft.hpp>

#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

/// The keyword arguments of Python's print().
struct print_kw {
    std::string_view sep = " ";
    std::string_view end = "\n";
};

/// print(*words, sep=kw.sep, end=kw.end): writes to stdout and to the example's transcript.
inline constexpr auto print_with = [](print_kw kw, const auto&... words) {
    std::ostringstream out;
    std::string_view sep;
    ((out << sep << words, sep = kw.sep), ...);
    out << kw.end;
    std::cout << out.str() << std::flush;
    example::transcript += out.str();
};

/// print(*words), with the default sep and end.
inline constexpr auto print_words = [](const auto&... words) { print_with(print_kw{}, words...); };

weft::task<> main_task() {
    // run_in_executor(executor, fn, args...) passes positional arguments: print('Hello', 'Python').
    co_await weft::run_in_executor(nullptr, print_words, "Hello", "Python");

    // "Keyword" arguments through a lambda: hello('Script', sep='-') with end=' ' bound.
    auto hello_lambda = [](std::string_view more, print_kw kw) {
        kw.end = " ";
        print_with(kw, "Hello", "Python", more);
    };
    hello_lambda("Script", {.sep = "-"});
    print_words("(end kept the line open)");

    // The same with weft::partial: bound arguments first, each call appends its own.
    auto hello = weft::partial(print_with, print_kw{.sep = "-"}, "Hello", "Python");
    hello("Script");
    hello("C++"); // a partial can be called again

    // Bound values are copies, taken when the partial is made.
    std::string language = "Python";
    auto greet = weft::partial(print_words, "Hello", language);
    language = "changed later";
    greet("Script");

    // run_in_executor with a partial; the call's arguments are appended to the bound ones.
    co_await weft::run_in_executor(nullptr, hello, "Script");
    weft::thread_pool pool({.threads = 2});
    co_await weft::run_in_executor(pool, weft::partial(print_words, "Hello", "Python"), "Script");
    co_await weft::to_thread(weft::partial(hello, "Rust")); // a partial of a partial
}

int main() {
    weft::run(main_task());

    example::check_transcript("Hello Python\n"
                              "Hello-Python-Script (end kept the line open)\n"
                              "Hello-Python-Script\n"
                              "Hello-Python-C++\n"
                              "Hello Python Script\n"
                              "Hello-Python-Script\n"
                              "Hello Python Script\n"
                              "Hello-Python-Rust\n");
    return example::exit_status();
}
