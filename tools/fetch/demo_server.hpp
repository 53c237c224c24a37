#pragma once

// `weft fetch --demo`'s local web server: a tiny HTTP/1.1 server on 127.0.0.1 that serves
// /page/1 ... /page/N, each after a fixed delay (a stand-in for a far-away server's round trip).
// Thread per connection, keep-alive, GET only: just enough to show concurrent fetching without
// the internet. It runs on its own threads, apart from the weft loops that fetch from it.

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace weft::tools {

class demo_server {
public:
    /// Listens on 127.0.0.1 (a free port) and serves `pages` pages, each after `delay`.
    /// @throws std::system_error when it cannot listen.
    demo_server(int pages, std::chrono::milliseconds delay);
    demo_server(const demo_server&) = delete;
    demo_server& operator=(const demo_server&) = delete;
    /// Stops accepting, closes every connection and joins the threads.
    ~demo_server();

    /// http://127.0.0.1:PORT/page/i for i in 1..pages.
    [[nodiscard]] std::vector<std::string> urls() const;
    /// The body length of page i (1-based), which differs from page to page.
    [[nodiscard]] static std::size_t page_size(int i) noexcept { return 1000 + 1234 * i; }

private:
    void accept_loop();
    void serve(int fd);

    int pages_;
    std::chrono::milliseconds delay_;
    int listen_fd_ = -1;
    int port_ = 0;
    std::thread acceptor_;
    std::mutex mtx_;
    bool stopping_ = false;
    std::vector<int> conns_;
    std::vector<std::thread> workers_;
};

} // namespace weft::tools
