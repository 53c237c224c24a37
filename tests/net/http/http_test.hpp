#pragma once

// Helpers of the HTTP server tests: a raw client over one connection, and external clients (curl,
// Python's http.client) run through the default executor so that the loop keeps serving.

#include <weft/net/connection.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/wait_for.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

namespace weft::testing::http {

/// What an external command printed and how it ended.
struct command_result {
    int exit_code = -1;
    std::string out;
};

/// Runs a shell command (bounded by timeout(1)) and collects its standard output. Blocking.
inline command_result run_command(const std::string& cmd) {
    command_result r;
    const std::string bounded = "timeout 30 " + cmd;
    FILE* f = ::popen(bounded.c_str(), "r");
    if (f == nullptr) {
        return r;
    }
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
        r.out.append(buf, n);
    }
    const int st = ::pclose(f);
    r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

/// run_command on a thread of its own (not the default executor: oneTBB's hand-offs are not
/// instrumented for ThreadSanitizer, which runs these tests too); the loop keeps serving.
inline task<command_result> run_command_async(std::string cmd) {
    promise<command_result> done;
    future<command_result> result = done.get_future();
    auto job = [done = std::move(done), cmd = std::move(cmd)]() mutable {
        done.set_value(run_command(cmd));
    };
    std::thread runner(std::move(job));
    command_result r = co_await result;
    runner.join(); // it has set the value: it is ending
    co_return r;
}

/// Writes text to a fresh file under /tmp and returns its path.
inline std::string write_temp_file(std::string_view name, std::string_view text) {
    std::string path =
        "/tmp/weft-http-test-" + std::to_string(::getpid()) + "-" + std::string(name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

/// Reads from c until the peer closes (each read bounded by 10 s).
inline task<std::string> read_to_end(net::connection& c) {
    std::string out;
    char buf[8192];
    for (;;) {
        const std::size_t n =
            co_await weft::wait_for(c.read_some(std::span<char>(buf)), std::chrono::seconds(10));
        if (n == 0) {
            co_return out;
        }
        out.append(buf, n);
    }
}

/// Reads from c, appending to out, until out contains needle (each read bounded by 10 s); false
/// if the peer closes first.
inline task<bool> read_until_seen(net::connection& c, std::string& out, std::string_view needle) {
    char buf[8192];
    while (out.find(needle) == std::string::npos) {
        const std::size_t n =
            co_await weft::wait_for(c.read_some(std::span<char>(buf)), std::chrono::seconds(10));
        if (n == 0) {
            co_return false;
        }
        out.append(buf, n);
    }
    co_return true;
}

/// Sends data on a new connection to 127.0.0.1:port and returns everything the server sends
/// until it closes (each read bounded by 10 s).
inline task<std::string> exchange(std::uint16_t port, std::string data) {
    net::connection c = co_await net::connection::connect("127.0.0.1", port);
    co_await c.write_all(std::span<const char>(data.data(), data.size()));
    co_return co_await read_to_end(c);
}

/// The first line of s, without its CRLF.
inline std::string first_line(std::string_view s) {
    return std::string(s.substr(0, s.find("\r\n")));
}

/// How many times needle occurs in s.
inline std::size_t count(std::string_view s, std::string_view needle) {
    std::size_t n = 0;
    for (auto pos = s.find(needle); pos != std::string_view::npos;
         pos = s.find(needle, pos + needle.size())) {
        ++n;
    }
    return n;
}

} // namespace weft::testing::http
