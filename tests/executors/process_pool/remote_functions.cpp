#include "remote_functions.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>

namespace pp_test {

namespace {
int init_state = 0;
}

int add(int a, int b) {
    return a + b;
}
std::string join(std::string a, const std::string& b) {
    return a + " " + b;
}
point mirror(point p) {
    return {p.y, p.x, p.label + "'"};
}
std::vector<int> squares(int n) {
    std::vector<int> v;
    for (int i = 0; i < n; ++i) {
        v.push_back(i * i);
    }
    return v;
}

int crash_or_double(int i, int mode) {
    switch (mode) {
    case by_abort:
        std::abort();
    case by_segv:
        ::signal(SIGSEGV, SIG_DFL); // a plain SIGSEGV death, not a sanitizer report
        ::raise(SIGSEGV);
        break;
    case by_exit:
        ::_exit(3);
    case by_sigkill:
        ::raise(SIGKILL);
        break;
    default:
        break;
    }
    return i * 2;
}

int spin_forever() {
    for (;;) {
        asm volatile("" ::: "memory");
    }
}

int nap_ms(int ms) {
    ::usleep(static_cast<useconds_t>(ms) * 1000);
    return ms;
}

int worker_pid() {
    return ::getpid();
}
int worker_parent_pid() {
    return ::getppid();
}
int fork_a_child_holding_the_socket(int seconds) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::sleep(static_cast<unsigned>(seconds)); // with every descriptor of the worker
        ::_exit(0);
    }
    return pid;
}
void throw_runtime(std::string what) {
    throw std::runtime_error(what);
}
void throw_quota(std::string what) {
    throw quota_exceeded(what);
}
int throw_int() {
    throw 42;
}
std::string blob(std::size_t n, char c) {
    return std::string(n, c);
}
std::size_t blob_check(std::string s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != static_cast<char>('a' + i % 26)) {
            return static_cast<std::size_t>(-1);
        }
    }
    return s.size();
}
void init_ok() {
    init_state = 1000;
}
void init_fails() {
    throw std::runtime_error("no database at db.invalid");
}
int initialized_value(int plus) {
    return init_state + plus;
}
int not_registered(int x) {
    return x;
}

} // namespace pp_test

WEFT_REMOTE(pp_test::add);
WEFT_REMOTE(pp_test::join);
WEFT_REMOTE(pp_test::mirror);
WEFT_REMOTE(pp_test::squares);
WEFT_REMOTE(pp_test::crash_or_double);
WEFT_REMOTE(pp_test::spin_forever);
WEFT_REMOTE(pp_test::nap_ms);
WEFT_REMOTE(pp_test::worker_pid);
WEFT_REMOTE(pp_test::worker_parent_pid);
WEFT_REMOTE(pp_test::fork_a_child_holding_the_socket);
WEFT_REMOTE(pp_test::throw_runtime);
WEFT_REMOTE(pp_test::throw_quota);
WEFT_REMOTE(pp_test::throw_int);
WEFT_REMOTE(pp_test::blob);
WEFT_REMOTE(pp_test::blob_check);
WEFT_REMOTE(pp_test::init_ok);
WEFT_REMOTE(pp_test::init_fails);
WEFT_REMOTE(pp_test::initialized_value);
WEFT_REMOTE_EXCEPTION(pp_test::quota_exceeded);
