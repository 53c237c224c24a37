#include <weft/weft.hpp>

#include <gtest/gtest.h>

TEST(run_in_executor, returns_the_value_on_the_default_executor) {
    int r = weft::run([]() -> weft::task<int> {
        co_return co_await weft::run_in_executor(nullptr, [](int a, int b) { return a + b; }, 2, 3);
    }(), {.loops = 1});
    EXPECT_EQ(r, 5);
}
