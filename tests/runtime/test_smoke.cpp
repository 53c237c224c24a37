#include <weft/weft.hpp>

#include <gtest/gtest.h>

using namespace std::chrono_literals;

namespace {

weft::task<int> add(int a, int b) {
    co_await weft::sleep(1ms);
    co_return a + b;
}

weft::task<int> trivial(int i) {
    co_return i;
}

} // namespace

TEST(smoke, run_await_chain) {
    EXPECT_EQ(weft::run(add(1, 2), {.loops = 2}), 3);
}

TEST(smoke, gather_order) {
    auto r = weft::run(
        []() -> weft::task<std::vector<int>> {
            std::vector<weft::task<int>> ts;
            for (int i = 0; i < 100; ++i) {
                ts.push_back(trivial(i));
            }
            co_return co_await weft::gather(ts);
        }(),
        {.loops = 1});
    ASSERT_EQ(r.size(), 100u);
    EXPECT_EQ(r[42], 42);
}
