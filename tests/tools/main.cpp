// weft-tools-tests' main: weft::init first (process pools fork their workers from a server
// started here, before any thread exists), then GoogleTest.

#include <weft/runtime/version.hpp>

#if WEFT_HAS_PROCESS_POOL && __has_include(<weft/executors/init.hpp>)
#include <weft/executors/init.hpp>
#define WEFT_TOOLS_TESTS_INIT 1
#endif

#include <gtest/gtest.h>

int main(int argc, char** argv) {
#ifdef WEFT_TOOLS_TESTS_INIT
    weft::init(argc, argv);
#endif
    testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
