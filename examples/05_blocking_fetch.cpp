// Seed 5: fetching pages concurrently, with a blocking call run on the default executor.
//
//     import asyncio, time, urllib.request
//
//     def fetch(url):                       # blocking: urlopen + read
//         with urllib.request.urlopen(url) as response:
//             return len(response.read())
//
//     async def main():
//         loop = asyncio.get_running_loop()
//         futures = [asyncio.ensure_future(loop.run_in_executor(None, fetch, url))
//                    for url in URLS]
//         print(await asyncio.gather(*futures))
//
//     start = time.time()
//     asyncio.run(main())
//     print(time.time() - start)
//
// Run one after another, the fetches cost the sum of their round trips; run concurrently on the
// default thread pool, about the longest one. Here fetch() is a stand-in that needs no network:
// it blocks for a 200 ms "round trip" and returns a length derived from the URL. The program
// runs the six fetches both ways, prints the lengths, both times and the speed-up, and checks
// that the results agree and that the concurrent run is well under the sequential one.

#include "example.hpp"

#include <weft/weft.hpp>

#include <chrono>
#include <cstddef>
#include <iomanip>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using example::check;
using example::say;

const std::vector<std::string> urls = {
    "https://www.python.org/",
    "https://docs.python.org/3/library/asyncio.html",
    "https://en.cppreference.com/w/cpp/language/coroutines",
    "https://github.com/oneapi-src/oneTBB",
    "https://think-async.com/Asio/",
    "https://mesonbuild.com/",
};

constexpr auto round_trip = 200ms;

/// The "page length" of a URL: any number the URL determines will do.
int page_length(const std::string& url) {
    int h = 0;
    for (char c : url) {
        h = (h * 31 + static_cast<unsigned char>(c)) % 10'000;
    }
    return 20'000 + h;
}

/// The blocking urlopen(url).read(): it holds its thread for a whole round trip, so it must not
/// run on a loop thread.
int fetch(const std::string& url) {
    std::this_thread::sleep_for(round_trip);
    return page_length(url);
}

std::string as_list(const std::vector<int>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
        s += (i == 0 ? "" : ", ") + std::to_string(v[i]);
    }
    return s + "]";
}

std::string seconds(std::chrono::steady_clock::duration d) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(2) << std::chrono::duration<double>(d).count() << " s";
    return out.str();
}

weft::task<> main_task() {
    // Sequentially: each fetch is awaited before the next one starts.
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<int> sequential;
    for (const std::string& url : urls) {
        const int length = co_await weft::run_in_executor(nullptr, fetch, url);
        sequential.push_back(length);
    }
    const auto sequential_time = std::chrono::steady_clock::now() - t0;
    say("sequential: ", as_list(sequential), " in ", seconds(sequential_time));

    // Concurrently: start every fetch on the default executor, then gather them (in URL order).
    const auto t1 = std::chrono::steady_clock::now();
    std::vector<weft::future<int>> futures;
    for (const std::string& url : urls) {
        futures.push_back(weft::ensure_future(weft::run_in_executor(nullptr, fetch, url)));
    }
    const std::vector<int> concurrent = co_await weft::gather(futures);
    const auto concurrent_time = std::chrono::steady_clock::now() - t1;
    say("concurrent: ", as_list(concurrent), " in ", seconds(concurrent_time));

    std::ostringstream speedup;
    speedup << std::fixed << std::setprecision(1)
            << std::chrono::duration<double>(sequential_time).count() /
                   std::chrono::duration<double>(concurrent_time).count();
    say("speed-up: ", speedup.str(), "x");

    std::vector<int> expected;
    for (const std::string& url : urls) {
        expected.push_back(page_length(url));
    }
    check(sequential == expected, "the sequential run returns each URL's length, in order");
    check(concurrent == expected, "the concurrent run returns the same lengths, in URL order");
    check(sequential_time >= urls.size() * round_trip,
          "the sequential run costs the sum of the round trips");
    // About one round trip; half the sequential time is a generous bound on a busy machine.
    check(concurrent_time * 2 < sequential_time,
          "the concurrent run takes well under the sequential one");
}

int main() {
    weft::run(main_task());
    return example::exit_status();
}
