#pragma once

// What the redis pool tests run against: a real redis-server on a Unix socket in a temporary
// directory (no port, unless a test asks for one on given addresses), which a test can kill and
// start again on the same data, and worker processes (this test program with --weft-redis-worker,
// behind a prefix such as `ip netns exec NAME` if the test asks) it can start, kill and stop.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

namespace rp_test {

class redis_server {
public:
    struct options {
        bool aof = false;                ///< appendonly yes, appendfsync always
        std::string password{};          ///< requirepass, when not empty
        int port = 0;                    ///< a TCP port as well as the socket, when not 0
        std::vector<std::string> bind{}; ///< the addresses the TCP port listens on
    };
    explicit redis_server(options o);
    redis_server() : redis_server(options{}) {}
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;
    ~redis_server();

    /// Starts it and waits (at most 20 s) until it answers PING. @throws std::runtime_error.
    void start();
    /// SIGKILL, and reaps it.
    void kill();

    [[nodiscard]] std::string url() const { return "unix://" + socket_; }
    [[nodiscard]] const std::string& dir() const noexcept { return dir_; }

    /// Runs a command on a short-lived connection; returns the integer reply (or -1).
    long long integer(const std::vector<std::string>& args) const;
    /// Runs a command on a short-lived connection; returns its text reply (or "").
    std::string text(const std::vector<std::string>& args) const;

private:
    options opts_;
    std::string dir_;
    std::string socket_;
    pid_t pid_ = -1;
};

/// Worker processes serving one queue.
class workers {
public:
    workers(std::string url, std::string queue, int concurrency,
            std::chrono::milliseconds visibility = std::chrono::milliseconds(500));
    workers(const workers&) = delete;
    workers& operator=(const workers&) = delete;
    /// stop_all().
    ~workers();

    /// Starts the next workers as `prefix... /real/path/of/this/program --weft-redis-worker ...`
    /// (e.g. prefix `ip netns exec NAME`), with env ("NAME=value") added to their environment.
    void launch_with(std::vector<std::string> prefix, std::vector<std::string> env);
    /// Starts one more; returns its index.
    std::size_t start_one();
    /// SIGKILL worker i and reap it.
    void kill(std::size_t i);
    /// SIGTERM every live worker and waits for each (20 s, then SIGKILL); returns what went
    /// wrong (empty when each drained and exited 0, or died by the SIGTERM while starting).
    std::string stop_all();
    [[nodiscard]] pid_t pid(std::size_t i) const { return pids_.at(i); }

private:
    std::string url_;
    std::string queue_;
    int concurrency_;
    std::chrono::milliseconds visibility_;
    std::vector<std::string> prefix_;
    std::vector<std::string> env_;
    std::vector<pid_t> pids_;
};

/// A fresh temporary directory (removed by the caller with remove_tree).
std::string temp_dir(const char* tag);
void remove_tree(const std::string& dir);
/// Lines in a file (0 when it does not exist).
std::size_t count_lines(const std::string& path);
/// Waits until pred() or timeout; returns pred().
template <class P>
bool eventually(P pred, std::chrono::milliseconds timeout = std::chrono::seconds(20));
/// Whether process pid is gone (or a zombie).
bool process_gone(pid_t pid);
/// A unique queue name for one test.
std::string queue_name();

} // namespace rp_test

#include <thread>

template <class P>
bool rp_test::eventually(P pred, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > end) {
            return pred();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}
