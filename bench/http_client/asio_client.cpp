// The baseline: a hand-written Asio HTTP/1.1 client, one thread, `conns` keep-alive connections,
// each sending the next GET as soon as the previous response is read (Content-Length bodies
// only, which is what nginx sends for a static file). Prints one line:
//   asio <requests> <seconds> <req/s> <CPU us per request>
// Usage: weft-bench-http-client-asio HOST PORT PATH [requests=10000] [conns=64]

#include <asio/buffer.hpp>
#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <sys/resource.h>

namespace {

/// CPU time (user + system) this process has used so far, in seconds.
double cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct totals {
    long left = 0;
    long done = 0;
    long failed = 0;
};

class connection : public std::enable_shared_from_this<connection> {
public:
    connection(asio::io_context& io, const asio::ip::tcp::resolver::results_type& ep,
               const std::string& request, totals& t)
        : socket_(io), endpoints_(ep), request_(request), t_(t) {}

    void start() {
        asio::async_connect(socket_, endpoints_,
                            [self = shared_from_this()](const asio::error_code& ec, const auto&) {
                                if (ec) {
                                    std::fprintf(stderr, "connect: %s\n", ec.message().c_str());
                                    return;
                                }
                                asio::ip::tcp::no_delay nd(true);
                                self->socket_.set_option(nd);
                                self->next();
                            });
    }

    /// Sends the next request (after a run of the io_context ended).
    void resume() { next(); }

private:
    using socket_type = asio::ip::tcp::socket;
    using asio_tcp = asio::ip::tcp;

    void next() {
        if (t_.left <= 0) {
            return;
        }
        --t_.left;
        asio::async_write(socket_, asio::buffer(request_),
                          [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
                              if (!ec) {
                                  self->read_head();
                              }
                          });
    }

    void read_head() {
        asio::async_read_until(
            socket_, buf_, "\r\n\r\n",
            [self = shared_from_this()](const asio::error_code& ec, std::size_t head_len) {
                if (ec) {
                    std::fprintf(stderr, "read: %s\n", ec.message().c_str());
                    return;
                }
                std::string_view head(static_cast<const char*>(self->buf_.data().data()), head_len);
                if (head.substr(9, 3) != "200") {
                    ++self->t_.failed;
                }
                std::size_t length = 0;
                auto pos = head.find("Content-Length: ");
                if (pos == std::string_view::npos) {
                    pos = head.find("content-length: ");
                }
                if (pos != std::string_view::npos) {
                    length = std::strtoul(head.data() + pos + 16, nullptr, 10);
                }
                self->buf_.consume(head_len);
                self->read_body(length);
            });
    }

    void read_body(std::size_t length) {
        const std::size_t have = buf_.size();
        if (have >= length) {
            body_.assign(static_cast<const char*>(buf_.data().data()), length);
            buf_.consume(length);
            ++t_.done;
            next();
            return;
        }
        asio::async_read(
            socket_, buf_, asio::transfer_exactly(length - have),
            [self = shared_from_this(), length](const asio::error_code& ec, std::size_t) {
                if (!ec) {
                    self->read_body(length);
                }
            });
    }

    socket_type socket_;
    asio::ip::tcp::resolver::results_type endpoints_;
    const std::string& request_;
    totals& t_;
    asio::streambuf buf_;
    std::string body_;
};

/// Connects `conns` connections, warms them up with 2 requests each, then times n requests over
/// the same connections.
double run(const std::string& host, const std::string& port, const std::string& request, long n,
           int conns, totals& t, double& cpu) {
    asio::io_context io(1);
    asio::ip::tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(host, port);
    std::vector<std::shared_ptr<connection>> all;
    t.left = conns * 2L;
    for (int i = 0; i < conns; ++i) {
        all.push_back(std::make_shared<connection>(io, endpoints, request, t));
        all.back()->start();
    }
    io.run();
    t = totals{};
    t.left = n;
    const double cpu0 = cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    for (auto& c : all) {
        c->resume();
    }
    io.restart();
    io.run();
    cpu = cpu_seconds() - cpu0;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s HOST PORT PATH [requests] [conns]\n", argv[0]);
        return 2;
    }
    const std::string host = argv[1];
    const std::string port = argv[2];
    const std::string request = std::string("GET ") + argv[3] + " HTTP/1.1\r\nHost: " + host + ":" +
                                port + "\r\nUser-Agent: asio-bench\r\nAccept: */*\r\n\r\n";
    const long n = argc > 4 ? std::atol(argv[4]) : 10'000;
    const int conns = argc > 5 ? std::atoi(argv[5]) : 64;
    totals t;
    double cpu = 0;
    const double secs = run(host, port, request, n, conns, t, cpu);
    std::printf("asio %ld %.3f %.0f %.1f\n", t.done, secs, static_cast<double>(t.done) / secs,
                cpu * 1e6 / static_cast<double>(t.done));
    return t.failed == 0 && t.done == n ? 0 : 1;
}
