#pragma once

// Functions the tests run in workers (registered in remote_functions.cpp).

#include <weft/executors/remote.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace pp_test {

/// A user type that crosses through its serialize member.
struct point {
    int x = 0;
    int y = 0;
    std::string label;
    template <class A>
    void serialize(A& ar) {
        ar(x, y, label);
    }
    bool operator==(const point&) const = default;
};

/// A registered exception type: it crosses as itself.
struct quota_exceeded : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// How crash_or_double ends.
enum crash_mode : int { no_crash = 0, by_abort = 1, by_segv = 2, by_exit = 3, by_sigkill = 4 };

int add(int a, int b);
std::string join(std::string a, const std::string& b);
point mirror(point p);
std::vector<int> squares(int n);
int crash_or_double(int i, int mode);
int spin_forever();
int nap_ms(int ms);
int worker_pid();
int worker_parent_pid();
/// Forks a child that keeps the worker's descriptors (its socket too) for `seconds`; its pid.
int fork_a_child_holding_the_socket(int seconds);
void throw_runtime(std::string what);
void throw_quota(std::string what);
int throw_int();
std::string blob(std::size_t n, char c);
std::size_t blob_check(std::string s);
void init_ok();
void init_fails();
int initialized_value(int plus);
int not_registered(int x);

} // namespace pp_test
