// Seed 1: a native coroutine, run by the event loop.
//
//     import asyncio
//
//     async def hello():
//         print('Hello, world!')
//
//     asyncio.run(hello())                 # the modern form
//
//     loop = asyncio.get_event_loop()      # the low-level form
//     loop.run_until_complete(hello())
//     loop.close()

#include "example.hpp"

#include <weft/weft.hpp>

using example::say;

// `async def` becomes a function returning weft::task<>: a coroutine that returns nothing.
// A coroutine needs at least one co_await or co_return, hence the explicit co_return.
weft::task<> hello() {
    say("Hello, world!");
    co_return;
}

int main() {
    // asyncio.run(hello()): builds a runtime, runs the coroutine to completion on this thread,
    // then cancels whatever it left behind and tears the runtime down.
    weft::run(hello());

    // The same, by hand, on one stand-alone loop.
    weft::loop lp;
    lp.run_until_complete(hello());
    lp.close();

    example::check_transcript("Hello, world!\n"
                              "Hello, world!\n");
    return example::exit_status();
}
