// Seed 5 in full: fetching six pages, first one after another, then concurrently, through weft's
// HTTP client (libcurl's multi interface on the weft loop: no thread per request).
//
//     import asyncio, time, urllib.request
//
//     def fetch(url):
//         with urllib.request.urlopen(url) as response:
//             return len(response.read())
//
//     async def main():
//         loop = asyncio.get_running_loop()
//         futures = [asyncio.ensure_future(loop.run_in_executor(None, fetch, url))
//                    for url in URLS]
//         print(await asyncio.gather(*futures))
//
// Where asyncio needs a thread pool for urlopen, weft awaits the request itself. So that the
// program needs no internet, it first starts a small web server on 127.0.0.1 (plain threads, below)
// that answers /page/1 ... /page/6 after 200 ms each, as a far-away server would. Sequentially the
// six fetches cost about the sum of the round trips (1.2 s); concurrently about one (0.2 s). The
// program prints both and checks the lengths and the times.

#include "example.hpp"

#include <weft/net/http/client.hpp>
#include <weft/weft.hpp>

#include <chrono>
#include <cstddef>
#include <iomanip>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace std::chrono_literals;
using example::check;
using example::say;

constexpr int page_count = 6;
constexpr auto round_trip = 200ms;

/// The length of page i: each page has its own.
std::size_t page_length(int i) {
    return 10'000 + 1'111 * static_cast<std::size_t>(i);
}

/// A tiny web server for the example: one thread per connection, keep-alive, GET /page/i only.
class local_server {
public:
    local_server() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 64) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            throw std::runtime_error("local server: cannot listen on 127.0.0.1");
        }
        port_ = ntohs(a.sin_port);
        acceptor_ = std::thread([this] {
            for (int c; (c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) {
                std::lock_guard lock(mtx_);
                conns_.push_back(c);
                threads_.emplace_back([c] { serve(c); });
            }
        });
    }
    ~local_server() {
        ::shutdown(fd_, SHUT_RDWR);
        acceptor_.join();
        std::lock_guard lock(mtx_);
        for (int c : conns_) {
            ::shutdown(c, SHUT_RDWR);
        }
        for (auto& t : threads_) {
            t.join();
        }
        for (int c : conns_) {
            ::close(c);
        }
        ::close(fd_);
    }
    [[nodiscard]] std::string url(int page) const {
        return "http://127.0.0.1:" + std::to_string(port_) + "/page/" + std::to_string(page);
    }

private:
    static void serve(int c) {
        std::string in;
        char buf[2048];
        for (;;) {
            std::size_t end;
            while ((end = in.find("\r\n\r\n")) == std::string::npos) {
                const ssize_t n = ::recv(c, buf, sizeof buf, 0);
                if (n <= 0) {
                    return;
                }
                in.append(buf, static_cast<std::size_t>(n));
            }
            const auto at = in.find("/page/");
            const int page = at < end ? std::atoi(in.c_str() + at + 6) : 0;
            in.erase(0, end + 4);
            std::this_thread::sleep_for(round_trip); // the far-away server's round trip
            const std::string body(page >= 1 && page <= page_count ? page_length(page) : 0, 'x');
            const std::string out =
                std::string(body.empty() ? "HTTP/1.1 404 Not Found" : "HTTP/1.1 200 OK") +
                "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
            if (::send(c, out.data(), out.size(), MSG_NOSIGNAL) !=
                static_cast<ssize_t>(out.size())) {
                return;
            }
        }
    }

    int fd_ = -1;
    int port_ = 0;
    std::thread acceptor_;
    std::mutex mtx_;
    std::vector<int> conns_;
    std::vector<std::thread> threads_;
};

/// fetch(url): the page's length.
weft::task<std::size_t> fetch(const weft::http::client& client, std::string url) {
    weft::http::response r = co_await client.get(std::move(url));
    r.raise_for_status();
    co_return r.body.size();
}

std::string as_list(const std::vector<std::size_t>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
        s += (i == 0 ? "" : ", ") + std::to_string(v[i]);
    }
    return s + "]";
}

std::string seconds(std::chrono::steady_clock::duration d) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(2) << std::chrono::duration<double>(d).count() << " s";
    return out.str();
}

weft::task<> main_task(const std::vector<std::string>& urls) {
    weft::http::client client;

    // Sequentially: each fetch is awaited before the next one starts.
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::size_t> sequential;
    for (const std::string& url : urls) {
        const std::size_t length = co_await fetch(client, url);
        sequential.push_back(length);
    }
    const auto sequential_time = std::chrono::steady_clock::now() - t0;
    say("sequential: ", as_list(sequential), " in ", seconds(sequential_time));

    // Concurrently: ensure_future starts every fetch, gather collects them in URL order.
    const auto t1 = std::chrono::steady_clock::now();
    std::vector<weft::future<std::size_t>> futures;
    for (const std::string& url : urls) {
        futures.push_back(weft::ensure_future(fetch(client, url)));
    }
    const std::vector<std::size_t> concurrent = co_await weft::gather(futures);
    const auto concurrent_time = std::chrono::steady_clock::now() - t1;
    say("concurrent: ", as_list(concurrent), " in ", seconds(concurrent_time));

    std::ostringstream speedup;
    speedup << std::fixed << std::setprecision(1)
            << std::chrono::duration<double>(sequential_time).count() /
                   std::chrono::duration<double>(concurrent_time).count();
    say("speed-up: ", speedup.str(), "x");

    std::vector<std::size_t> expected;
    for (int i = 1; i <= page_count; ++i) {
        expected.push_back(page_length(i));
    }
    check(sequential == expected, "the sequential run returns each page's length, in order");
    check(concurrent == expected, "the concurrent run returns the same lengths, in URL order");
    check(sequential_time >= page_count * round_trip,
          "the sequential run costs the sum of the round trips");
    // About one round trip; half the sequential time is a generous bound on a busy machine.
    check(concurrent_time * 2 < sequential_time,
          "the concurrent run takes well under the sequential one");
}

int main() {
    local_server server;
    std::vector<std::string> urls;
    for (int i = 1; i <= page_count; ++i) {
        urls.push_back(server.url(i));
    }
    weft::run(main_task(urls));
    return example::exit_status();
}
