// A program that links weft from outside its tree: three loops, a gather across them, a blocking
// call on the default executor. It checks what it prints and exits non-zero on a mismatch.

#include <weft/weft.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {

weft::task<int> square_later(int x) {
    co_await weft::sleep(std::chrono::milliseconds(10));
    co_return x* x;
}

int blocking_sum(int a, int b) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20)); // a blocking call, off the loops
    return a + b;
}

weft::task<int> app() {
    std::vector<weft::future<int>> squares;
    for (int i = 1; i <= 6; ++i) {
        squares.push_back(weft::spawn(square_later(i)));
    }
    const std::vector<int> got = co_await weft::gather(std::move(squares));
    int total = 0;
    for (int v : got) {
        total += v;
    }
    const int sum = co_await weft::to_thread(blocking_sum, total, 9);
    std::printf("weft %s: sum of squares 1..6 = %d, plus 9 off the loop = %d\n", weft::version(),
                total, sum);
    co_return (total == 91 && sum == 100) ? 0 : 1;
}

} // namespace

int main() {
    return weft::run(app(), weft::options{.loops = 3});
}
