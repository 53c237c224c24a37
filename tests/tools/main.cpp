// weft-tools-tests' main: weft::init first (process pools fork their workers from a server
// started here, before any thread exists), then GoogleTest.

#include <weft/runtime/version.hpp>

#if WEFT_HAS_PROCESS_POOL && __has_include(<weft/executors/init.hpp>)
#include <weft/executors/init.hpp>
#define WEFT_TOOLS_TESTS_INIT 1
#endif

#include <gtest/gtest.h>

#if defined(__SANITIZE_THREAD__)
// libstdc++ is not built with TSan, so the atomic count inside std::exception_ptr is invisible to
// it: an exception read on a loop and freed later by the process pool's I/O thread, when the last
// reference goes, looks like a race. Only that release is silenced, only in this test program.
extern "C" const char* __tsan_default_suppressions() {
    return "race:std::__exception_ptr::exception_ptr::_M_release\n";
}
#endif

int main(int argc, char** argv) {
#ifdef WEFT_TOOLS_TESTS_INIT
    weft::init(argc, argv);
#endif
    testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
