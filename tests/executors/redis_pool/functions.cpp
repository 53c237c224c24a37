// The registered functions of the redis pool tests (functions.hpp).

#include "functions.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rp_test {

namespace {
void append_line(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
        (void)::write(fd, "x\n", 2);
        ::close(fd);
    }
}
} // namespace

int add(int a, int b) {
    return a + b;
}

point mirror(point p) {
    return {p.y, p.x, p.label + "'"};
}

void nothing() {}

int refuse(bool registered) {
    if (registered) {
        throw quota_exceeded("over quota");
    }
    throw std::out_of_range("index 7");
}

int crash_always(std::string path) {
    append_line(path);
    std::abort();
}

int report_and_nap(std::string path, int ms) {
    const std::string tmp = path + ".tmp";
    if (FILE* f = std::fopen(tmp.c_str(), "w")) {
        std::fprintf(f, "%d\n", static_cast<int>(::getpid()));
        std::fclose(f);
        std::rename(tmp.c_str(), path.c_str());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return ms;
}

int count_and_double(std::string path, int i) {
    append_line(path);
    return i * 2;
}

int nap_then(int i, int ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return i;
}

std::pair<std::uint64_t, int> net_ns_and(int i, int ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    struct stat st {};
    if (::stat("/proc/self/ns/net", &st) != 0) {
        throw std::runtime_error("cannot stat /proc/self/ns/net");
    }
    return {static_cast<std::uint64_t>(st.st_ino), i};
}

} // namespace rp_test

WEFT_REMOTE(rp_test::add);
WEFT_REMOTE(rp_test::mirror);
WEFT_REMOTE(rp_test::nothing);
WEFT_REMOTE(rp_test::refuse);
WEFT_REMOTE(rp_test::crash_always);
WEFT_REMOTE(rp_test::report_and_nap);
WEFT_REMOTE(rp_test::count_and_double);
WEFT_REMOTE(rp_test::nap_then);
WEFT_REMOTE(rp_test::net_ns_and);
WEFT_REMOTE_EXCEPTION(rp_test::quota_exceeded);
