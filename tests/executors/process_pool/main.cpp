// The process pool tests' main: weft::init first (fork server; workers re-executed with the
// "spawn" start method run here and never reach gtest).

#include <weft/executors/init.hpp>

#include <gtest/gtest.h>

int main(int argc, char** argv) {
    weft::init(argc, argv);
    testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
