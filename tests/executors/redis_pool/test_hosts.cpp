// weft::redis_pool with workers on two more "hosts": two network namespaces, each linked to the
// root namespace by a veth pair of its own, with workers inside that reach a redis-server listening
// on TCP on the root ends of the links (password required, private addresses only). The caller
// stays in the root namespace. Each result names the network namespace it was computed in, so the
// test sees which host served what; then one host's workers are all killed mid-run and every call
// must still complete, on the other host.
//
// Making namespaces needs root and `ip netns` (CI runs as root): where a step fails (not root, no
// ip, no netns support, a sandbox), the test is skipped with the step and ip's own words. Whatever
// it made is removed on every path, by the destructor of two_hosts.

#include "fixture.hpp"
#include "functions.hpp"

#include <weft/executors/redis_pool.hpp>
#include <weft/runtime.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

using namespace std::chrono_literals;
using namespace rp_test;

namespace {

/// The ip program: on PATH, else where Debian puts it (PATH may lack the sbin folders).
std::string ip_program() {
    for (const char* candidate : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
        if (::access(candidate, X_OK) == 0) {
            return candidate;
        }
    }
    return "ip"; // not found: the first step fails and says so
}

/// Runs a command line (its words need no quoting); returns "" when it exits with status 0,
/// else what it printed (or how it ended).
std::string run_command(const std::vector<std::string>& words) {
    std::string line;
    for (const auto& w : words) {
        line += w + " ";
    }
    line += "2>&1";
    FILE* p = ::popen(line.c_str(), "r");
    if (p == nullptr) {
        return "cannot start a shell";
    }
    std::string out;
    char buf[256];
    while (std::fgets(buf, sizeof buf, p) != nullptr) {
        out += buf;
    }
    const int status = ::pclose(p);
    if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        return "";
    }
    while (!out.empty() && out.back() == '\n') {
        out.pop_back();
    }
    return out.empty() ? "exit status " + std::to_string(status) : out;
}

/// Two network namespaces, each linked to the root namespace by a veth pair with a /30 of its
/// own, in 10.200.0.0-10.249.255.255 and chosen by the test's pid so that concurrent runs differ.
class two_hosts {
public:
    struct host {
        std::string ns;        ///< the namespace's name (ip netns)
        std::string root_link; ///< the veth end in the root namespace
        std::string ns_link;   ///< the veth end inside ns
        std::string root_addr; ///< root_link's address: where the workers in ns reach Redis
        std::string ns_addr;   ///< ns_link's address
    };

    two_hosts() : ip_(ip_program()) {
        const auto pid = static_cast<unsigned>(::getpid());
        const std::string net = "10." + std::to_string(200 + (pid / 8192) % 50) + "." +
                                std::to_string((pid / 32) % 256) + ".";
        const unsigned base = (pid % 32) * 8;
        for (int k = 0; k < 2; ++k) {
            const std::string tag = std::to_string(pid) + (k == 0 ? "a" : "b");
            host& h = k == 0 ? a : b;
            h.ns = "weft-" + std::to_string(pid) + (k == 0 ? "-a" : "-b");
            h.root_link = "wft" + tag + "r"; // at most 12 characters (IFNAMSIZ - 1 is 15)
            h.ns_link = "wft" + tag + "n";
            h.root_addr = net + std::to_string(base + 4 * k + 1);
            h.ns_addr = net + std::to_string(base + 4 * k + 2);
        }
    }
    two_hosts(const two_hosts&) = delete;
    two_hosts& operator=(const two_hosts&) = delete;
    /// Undoes every step that succeeded, last first (deleting a namespace deletes its veth ends).
    ~two_hosts() {
        for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
            (void)run_command(*it);
        }
    }

    /// Makes both hosts; returns "" on success, else which step failed and why.
    std::string make() {
        for (const host* h : {&a, &b}) {
            if (std::string why = make(*h); !why.empty()) {
                return why;
            }
        }
        return "";
    }

    host a;
    host b;

private:
    std::string make(const host& h) {
        const std::vector<std::vector<std::string>> steps{
            {ip_, "netns", "add", h.ns},
            {ip_, "link", "add", h.root_link, "type", "veth", "peer", "name", h.ns_link, "netns",
             h.ns},
            {ip_, "addr", "add", h.root_addr + "/30", "dev", h.root_link},
            {ip_, "link", "set", h.root_link, "up"},
            {ip_, "-n", h.ns, "addr", "add", h.ns_addr + "/30", "dev", h.ns_link},
            {ip_, "-n", h.ns, "link", "set", h.ns_link, "up"},
            {ip_, "-n", h.ns, "link", "set", "lo", "up"},
        };
        for (std::size_t i = 0; i < steps.size(); ++i) {
            if (std::string why = run_command(steps[i]); !why.empty()) {
                std::string step;
                for (std::size_t w = 1; w < steps[i].size(); ++w) {
                    step += (w > 1 ? " " : "") + steps[i][w];
                }
                return "`ip " + step + "` failed: " + why;
            }
            if (i == 0) {
                undo_.push_back({ip_, "netns", "del", h.ns});
            } else if (i == 1) {
                undo_.push_back({ip_, "link", "del", h.root_link});
            }
        }
        return "";
    }

    std::string ip_;
    std::vector<std::vector<std::string>> undo_;
};

/// A TCP port that was free on addr a moment ago (redis-server cannot be told to pick one).
int free_port(const std::string& addr) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    socklen_t len = sizeof sa;
    int port = -1;
    if (::inet_pton(AF_INET, addr.c_str(), &sa.sin_addr) == 1 &&
        ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0) {
        port = ntohs(sa.sin_port);
    }
    ::close(fd);
    return port;
}

/// The inode that names a network namespace (what /proc/PID/ns/net of a process in it shows).
std::uint64_t inode_of(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_ino) : 0;
}

/// How many of redis's clients connected from addr and last ran XREADGROUP: the workers on that
/// host waiting for calls (each worker reads calls on a connection of its own).
int readers_from(const redis_server& redis, const std::string& addr) {
    const std::string clients = redis.text({"CLIENT", "LIST"});
    int n = 0;
    for (std::size_t at = 0; at < clients.size();) {
        const std::size_t end = std::min(clients.find('\n', at), clients.size());
        const std::string_view line(clients.data() + at, end - at);
        if (line.find(" addr=" + addr + ":") != std::string_view::npos &&
            line.find(" cmd=xreadgroup") != std::string_view::npos) {
            ++n;
        }
        at = end + 1;
    }
    return n;
}

/// Waits until pool has completed at least n calls, or until the deadline; returns whether it
/// had.
weft::task<bool> until_completed(weft::redis_pool& pool, std::uint64_t n,
                                 std::chrono::seconds bound) {
    const auto end = std::chrono::steady_clock::now() + bound;
    while (pool.stats().completed < n && std::chrono::steady_clock::now() < end) {
        co_await weft::sleep(5ms);
    }
    co_return pool.stats().completed >= n;
}

} // namespace

TEST(RedisPoolHosts, WorkersInTwoNetworkNamespacesServeAndOneHostsDeathLosesNoCall) {
    two_hosts net;
    if (const std::string why = net.make(); !why.empty()) {
        GTEST_SKIP() << "workers on other hosts need root and ip netns: " << why;
    }
    const int port = free_port(net.a.root_addr);
    ASSERT_GT(port, 0) << "no free TCP port on " << net.a.root_addr;
    const std::string password = "pw-" + std::to_string(::getpid()) + "-hosts";
    redis_server redis(
        {.password = password, .port = port, .bind = {net.a.root_addr, net.b.root_addr}});
    const std::string q = queue_name();
    const auto url = [&](const std::string& addr) {
        return "redis://" + addr + ":" + std::to_string(port);
    };
    workers on_a(url(net.a.root_addr), q, 2, 500ms);
    workers on_b(url(net.b.root_addr), q, 2, 500ms);
    on_a.launch_with({ip_program(), "netns", "exec", net.a.ns},
                     {"WEFT_REDIS_PASSWORD=" + password});
    on_b.launch_with({ip_program(), "netns", "exec", net.b.ns},
                     {"WEFT_REDIS_PASSWORD=" + password});
    for (int i = 0; i < 2; ++i) {
        on_a.start_one();
        on_b.start_one();
    }
    // Both hosts wait for calls, each worker on a connection from its own namespace's address.
    ASSERT_TRUE(eventually(
        [&] {
            return readers_from(redis, net.a.ns_addr) == 2 &&
                   readers_from(redis, net.b.ns_addr) == 2;
        },
        60s))
        << "the workers in the namespaces did not all reach redis at " << url(net.a.root_addr)
        << " and " << url(net.b.root_addr) << " within 60 s";
    const std::uint64_t ns_a = inode_of("/run/netns/" + net.a.ns);
    const std::uint64_t ns_b = inode_of("/run/netns/" + net.b.ns);
    ASSERT_NE(ns_a, 0u);
    ASSERT_NE(ns_b, 0u);
    ASSERT_NE(ns_a, ns_b);

    constexpr int n = 1600;    // before and across the death of host a
    constexpr int after = 200; // once host a is gone
    int right = 0;
    std::map<std::uint64_t, int> served;       // namespace inode -> calls it ran, of the n
    std::map<std::uint64_t, int> served_after; // the same, of the last `after`
    weft::run([&]() -> weft::task<void> {
        // call_timeout bounds every wait on a call: a lost one fails the test with timeout_error.
        weft::redis_pool pool({.url = url(net.a.root_addr),
                               .password = password,
                               .queue = q,
                               .call_timeout = 120s,
                               .max_in_flight = 64});
        std::vector<weft::future<std::pair<std::uint64_t, int>>> fs;
        for (int i = 0; i < n; ++i) {
            fs.push_back(weft::run_in_executor(pool, net_ns_and, i, 1));
        }
        EXPECT_TRUE(co_await until_completed(pool, n / 4, 120s));
        on_a.kill(0); // host a dies with calls in flight: they are run again on host b
        on_a.kill(1);
        for (std::size_t i = 0; i < fs.size(); ++i) {
            const auto [ns, v] = co_await std::move(fs[i]);
            right += v == static_cast<int>(i) ? 1 : 0;
            ++served[ns];
        }
        for (int i = 0; i < after; ++i) {
            const auto [ns, v] = co_await weft::run_in_executor(pool, net_ns_and, i, 0);
            right += v == i ? 1 : 0;
            ++served_after[ns];
        }
        pool.shutdown(); // counts settle once every call has ended
        const weft::executor_stats s = pool.stats();
        EXPECT_EQ(s.completed, static_cast<std::uint64_t>(n + after));
        EXPECT_EQ(s.failed, 0u);
    }());
    EXPECT_EQ(right, n + after);
    EXPECT_GT(served[ns_a], 0) << "host a served no call";
    EXPECT_GT(served[ns_b], 0) << "host b served no call";
    EXPECT_EQ(served[ns_a] + served[ns_b], n) << "a call ran outside both namespaces";
    EXPECT_EQ(served_after[ns_b], after) << "a call ran elsewhere once host a was gone";
    EXPECT_EQ(on_b.stop_all(), "");
    EXPECT_EQ(on_a.stop_all(), "");
    EXPECT_EQ(redis.integer({"XLEN", "weft:{" + q + "}:calls"}), 0);
}
