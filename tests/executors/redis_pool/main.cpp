// The redis pool tests' main: weft::init first. The tests start their workers by running this
// same program with --weft-redis-worker, which weft::init turns into a worker that never reaches
// gtest (and the workers' process pools need the fork server init starts).

#include <weft/executors/init.hpp>

#include <gtest/gtest.h>

#if defined(__SANITIZE_THREAD__)
// An exception made on the pool's I/O thread may be freed there after the awaiting thread
// caught and read it. The two are ordered by the reference count inside libstdc++'s
// exception_ptr, which is not instrumented, so ThreadSanitizer cannot see it.
extern "C" const char* __tsan_default_suppressions() {
    return "race:std::__exception_ptr::exception_ptr::_M_release\n";
}
#endif

int main(int argc, char** argv) {
    weft::init(argc, argv);
    testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
