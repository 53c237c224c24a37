#include "demo_server.hpp"

#include <cerrno>
#include <cstring>
#include <string_view>
#include <system_error>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace weft::tools {

demo_server::demo_server(int pages, std::chrono::milliseconds delay)
    : pages_(pages), delay_(delay) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) {
        throw std::system_error(errno, std::generic_category(), "demo server: socket");
    }
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listen_fd_, 128) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        const int e = errno;
        ::close(listen_fd_);
        throw std::system_error(e, std::generic_category(), "demo server: bind/listen");
    }
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
}

demo_server::~demo_server() {
    {
        std::lock_guard lock(mtx_);
        stopping_ = true;
        for (int fd : conns_) {
            ::shutdown(fd, SHUT_RDWR); // wakes its worker, which closes it
        }
    }
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    ::close(listen_fd_);
    for (std::thread& t : workers_) {
        t.join();
    }
}

std::vector<std::string> demo_server::urls() const {
    std::vector<std::string> out;
    for (int i = 1; i <= pages_; ++i) {
        out.push_back("http://127.0.0.1:" + std::to_string(port_) + "/page/" + std::to_string(i));
    }
    return out;
}

void demo_server::accept_loop() {
    for (;;) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR) {
                continue;
            }
            return; // shut down
        }
        std::lock_guard lock(mtx_);
        if (stopping_) {
            ::close(fd);
            return;
        }
        conns_.push_back(fd);
        workers_.emplace_back([this, fd] { serve(fd); });
    }
}

// Reads request heads, answers each after the delay; ends when the client closes.
void demo_server::serve(int fd) {
    std::string buf;
    char chunk[4096];
    for (;;) {
        std::size_t end;
        while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
            const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n <= 0) {
                goto done;
            }
            buf.append(chunk, static_cast<std::size_t>(n));
        }
        {
            const std::string head = buf.substr(0, end);
            buf.erase(0, end + 4);
            // "GET /page/3 HTTP/1.1"
            const auto sp1 = head.find(' ');
            const auto sp2 = head.find(' ', sp1 + 1);
            const std::string path = head.substr(sp1 + 1, sp2 - sp1 - 1);
            int page = 0;
            if (path.rfind("/page/", 0) == 0) {
                page = std::atoi(path.c_str() + 6);
            }
            std::string response;
            if (page >= 1 && page <= pages_) {
                std::this_thread::sleep_for(delay_); // the simulated round trip
                std::string body = "<html><body><h1>page " + std::to_string(page) + "</h1><p>";
                body.resize(page_size(page) - 16, '.');
                body += "</p></body></html>";
                body.resize(page_size(page));
                response = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body;
            } else {
                response = "HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\nnot found\n";
            }
            std::string_view rest = response;
            while (!rest.empty()) {
                const ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
                if (n <= 0) {
                    goto done;
                }
                rest.remove_prefix(static_cast<std::size_t>(n));
            }
        }
    }
done:
    std::lock_guard lock(mtx_);
    for (auto& c : conns_) {
        if (c == fd) {
            c = conns_.back();
            conns_.pop_back();
            break;
        }
    }
    ::close(fd);
}

} // namespace weft::tools
