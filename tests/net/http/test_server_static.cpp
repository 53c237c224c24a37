// Static files (server::static_files, serve_file, server_response::file) against raw sockets and
// curl on 127.0.0.1: types, validators and 304, byte ranges, every way out of the root, large
// files with sendfile and with the chunked-read path, a client that stops reading, descriptors
// closed on every path; and the router's {name...} tail segment.

#include "http_test.hpp"
#include "static_root.hpp"

#include <weft/net/connection.hpp>
#include <weft/net/http/server.hpp>
#include <weft/net/http/static_files.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/testing/co_test.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>

using namespace std::chrono_literals;
using weft::http::request;
using weft::http::server;
using weft::http::server_options;
using weft::http::server_response;
using weft::http::static_files_options;
using namespace weft::testing::http;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t MiB = 1024 * 1024;

/// A fresh directory under /tmp, removed with everything in it at the end.
struct temp_dir {
    temp_dir() {
        std::string t = "/tmp/weft-static-XXXXXX";
        path = ::mkdtemp(t.data()) != nullptr ? t : std::string();
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    void write(const std::string& rel, std::string_view text) const {
        fs::create_directories(fs::path(path + "/" + rel).parent_path());
        std::ofstream(path + "/" + rel, std::ios::binary) << text;
    }
    std::string path;
};

/// A site: root/ holds the served files, root's sibling secret.txt must never be served.
struct site {
    site() {
        d.write("root/index.html", "<h1>home</h1>");
        d.write("root/a.css", "body{}");
        d.write("root/app.js", "let x;");
        d.write("root/pic.PNG", "png!");
        d.write("root/data.bin", "0123456789");
        d.write("root/sub/index.html", "sub home");
        d.write("root/sub/page.txt", "page");
        d.write("root/.env", "SECRET=1");
        d.write("root/.git/config", "[core]");
        d.write("secret.txt", "top secret");
        fs::create_directories(d.path + "/root/empty");
        fs::create_symlink(d.path + "/secret.txt", d.path + "/root/out.txt");
        fs::create_symlink("../secret.txt", d.path + "/root/out_rel.txt");
        fs::create_symlink(d.path, d.path + "/root/outdir");
        fs::create_symlink("sub/page.txt", d.path + "/root/in.txt");
        ::mkfifo((d.path + "/root/pipe").c_str(), 0600);
    }
    std::string root() const { return d.path + "/root"; }
    temp_dir d;
};

/// A response taken apart.
struct reply {
    int status = 0;
    std::string head;
    std::string body;
    std::string header(std::string_view name) const {
        const std::string key = "\r\n" + std::string(name) + ": ";
        const auto at = head.find(key);
        if (at == std::string::npos) {
            return "<none>";
        }
        const auto from = at + key.size();
        return head.substr(from, head.find("\r\n", from) - from);
    }
};

reply parse(const std::string& raw) {
    reply r;
    const auto end = raw.find("\r\n\r\n");
    if (raw.size() < 12 || end == std::string::npos) {
        return r;
    }
    r.status = std::atoi(raw.c_str() + 9);
    r.head = raw.substr(0, end + 2);
    r.body = raw.substr(end + 4);
    return r;
}

/// One request (Connection: close) with extra header lines; the reply.
weft::task<reply> ask(std::uint16_t port, std::string method, std::string target,
                      std::string extra = {}) {
    const std::string raw =
        co_await exchange(port, method + " " + target + " HTTP/1.1\r\nHost: a\r\n" + extra +
                                    "Connection: close\r\n\r\n");
    co_return parse(raw);
}

/// Polls cond every 5 ms until it holds or 20 s pass; whether it held.
weft::task<bool> eventually(std::function<bool()> cond) {
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (!cond()) {
        if (std::chrono::steady_clock::now() > until) {
            co_return false;
        }
        co_await weft::sleep(5ms); // the polling pace, not a synchronisation
    }
    co_return true;
}

/// Open descriptors of this process.
std::size_t open_fds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) {
        ++n;
    }
    return n;
}

std::string random_bytes(std::size_t n) {
    std::mt19937_64 gen(42);
    std::string s(n, '\0');
    for (char& c : s) {
        c = static_cast<char>(gen());
    }
    return s;
}

/// A client socket with a small receive buffer, connected to 127.0.0.1:port, non-blocking.
int small_window_client(std::uint16_t port, int rcvbuf) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
        ::close(fd);
        return -1;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

} // namespace

WEFT_CO_TEST(http_static, serves_get_and_head_with_types_and_validators) {
    site s;
    server srv;
    srv.static_files("/assets", s.root());
    co_await srv.listen("127.0.0.1", 0);
    const std::uint16_t port = srv.port();

    reply r = co_await ask(port, "GET", "/assets/index.html");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "<h1>home</h1>");
    EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(r.header("Content-Length"), "13");
    EXPECT_EQ(r.header("Accept-Ranges"), "bytes");
    EXPECT_EQ(r.header("Cache-Control"), "no-cache");
    const std::string etag = r.header("ETag");
    EXPECT_TRUE(etag.size() > 2 && etag.front() == '"' && etag.back() == '"') << etag;
    EXPECT_TRUE(r.header("Last-Modified").ends_with(" GMT")) << r.header("Last-Modified");

    reply h = co_await ask(port, "HEAD", "/assets/index.html");
    EXPECT_EQ(h.status, 200);
    EXPECT_EQ(h.body, "");
    EXPECT_EQ(h.header("Content-Length"), "13");
    EXPECT_EQ(h.header("ETag"), etag);

    EXPECT_EQ((co_await ask(port, "GET", "/assets/a.css")).header("Content-Type"),
              "text/css; charset=utf-8");
    EXPECT_EQ((co_await ask(port, "GET", "/assets/app.js")).header("Content-Type"),
              "text/javascript; charset=utf-8");
    EXPECT_EQ((co_await ask(port, "GET", "/assets/pic.PNG")).header("Content-Type"), "image/png");
    EXPECT_EQ((co_await ask(port, "GET", "/assets/data.bin")).header("Content-Type"),
              "application/octet-stream");
    EXPECT_EQ(weft::http::content_type_for("x/y.woff2"), "font/woff2");
    EXPECT_EQ(weft::http::content_type_for("a.wasm"), "application/wasm");
    EXPECT_EQ(weft::http::content_type_for("README"), "application/octet-stream");
    EXPECT_EQ(weft::http::content_type_for(".bashrc"), "application/octet-stream");

    reply post = co_await ask(port, "POST", "/assets/index.html", "Content-Length: 0\r\n");
    EXPECT_EQ(post.status, 405);
    EXPECT_EQ(post.header("Allow"), "GET, HEAD");

    // curl agrees (HTTP/1.1 framing, keep-alive over two files).
    const command_result c = co_await run_command_async(
        "curl -s -w ' %{http_code} %{num_connects}\\n' http://127.0.0.1:" + std::to_string(port) +
        "/assets/sub/page.txt http://127.0.0.1:" + std::to_string(port) + "/assets/a.css");
    EXPECT_EQ(c.out, "page 200 1\nbody{} 200 0\n");
    srv.close();
    co_await srv.wait_closed();
}

WEFT_CO_TEST(http_static, directories_answer_their_index_or_404) {
    site s;
    server srv;
    srv.static_files("/assets/", s.root());
    co_await srv.listen("127.0.0.1", 0);
    const std::uint16_t port = srv.port();
    EXPECT_EQ((co_await ask(port, "GET", "/assets/")).body, "<h1>home</h1>");
    EXPECT_EQ((co_await ask(port, "GET", "/assets/sub/")).body, "sub home");
    reply redirect = co_await ask(port, "GET", "/assets/sub?x=1");
    EXPECT_EQ(redirect.status, 301);
    EXPECT_EQ(redirect.header("Location"), "/assets/sub/?x=1");
    EXPECT_EQ((co_await ask(port, "GET", "/assets/empty/")).status, 404); // no listing
    EXPECT_EQ((co_await ask(port, "GET", "/assets/empty")).status, 404);
    EXPECT_EQ((co_await ask(port, "GET", "/assets/a.css/")).status, 404);
    EXPECT_EQ((co_await ask(port, "GET", "/assets/missing.txt")).status, 404);
    EXPECT_EQ((co_await ask(port, "GET", "/assets")).status, 404);
    srv.close();
    co_await srv.wait_closed();

    static_files_options o;
    o.index = "";
    server bare;
    bare.static_files("/", s.root(), o);
    co_await bare.listen("127.0.0.1", 0);
    EXPECT_EQ((co_await ask(bare.port(), "GET", "/")).status, 404);
    EXPECT_EQ((co_await ask(bare.port(), "GET", "/sub/page.txt")).body, "page");
    bare.close();
    co_await bare.wait_closed();
}

WEFT_CO_TEST(http_static, conditional_requests_get_304) {
    site s;
    server srv;
    srv.static_files("/assets", s.root());
    co_await srv.listen("127.0.0.1", 0);
    const std::uint16_t port = srv.port();
    const reply first = co_await ask(port, "GET", "/assets/a.css");
    const std::string etag = first.header("ETag");
    const std::string date = first.header("Last-Modified");

    reply r = co_await ask(port, "GET", "/assets/a.css", "If-None-Match: " + etag + "\r\n");
    EXPECT_EQ(r.status, 304);
    EXPECT_EQ(r.body, "");
    EXPECT_EQ(r.header("ETag"), etag);
    EXPECT_EQ(r.header("Content-Length"), "<none>");
    EXPECT_EQ(
        (co_await ask(port, "GET", "/assets/a.css", "If-None-Match: \"other\", W/" + etag + "\r\n"))
            .status,
        304); // a list, weak comparison
    EXPECT_EQ((co_await ask(port, "HEAD", "/assets/a.css", "If-None-Match: *\r\n")).status, 304);
    EXPECT_EQ((co_await ask(port, "GET", "/assets/a.css", "If-None-Match: \"other\"\r\n")).status,
              200);
    EXPECT_EQ(
        (co_await ask(port, "GET", "/assets/a.css", "If-Modified-Since: " + date + "\r\n")).status,
        304);
    EXPECT_EQ((co_await ask(port, "GET", "/assets/a.css",
                            "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"))
                  .status,
              200);
    EXPECT_EQ(
        (co_await ask(port, "GET", "/assets/a.css", "If-Modified-Since: yesterday\r\n")).status,
        200);
    // If-None-Match wins over If-Modified-Since (RFC 9110 section 13.2.2).
    EXPECT_EQ((co_await ask(port, "GET", "/assets/a.css",
                            "If-None-Match: \"other\"\r\nIf-Modified-Since: " + date + "\r\n"))
                  .status,
              200);
    // The file changes: a new ETag.
    s.d.write("root/a.css", "body{color:red}");
    const reply changed =
        co_await ask(port, "GET", "/assets/a.css", "If-None-Match: " + etag + "\r\n");
    EXPECT_EQ(changed.status, 200);
    EXPECT_EQ(changed.body, "body{color:red}");
    EXPECT_NE(changed.header("ETag"), etag);
    srv.close();
    co_await srv.wait_closed();
}

WEFT_CO_TEST(http_static, byte_ranges) {
    site s;
    server srv;
    srv.static_files("/assets", s.root());
    co_await srv.listen("127.0.0.1", 0);
    const std::uint16_t port = srv.port();
    const auto range = [&](std::string value, std::string more = {}) {
        return ask(port, "GET", "/assets/data.bin", "Range: " + value + "\r\n" + more);
    };
    reply r = co_await range("bytes=2-5");
    EXPECT_EQ(r.status, 206);
    EXPECT_EQ(r.body, "2345");
    EXPECT_EQ(r.header("Content-Range"), "bytes 2-5/10");
    EXPECT_EQ(r.header("Content-Length"), "4");
    r = co_await range("bytes=7-");
    EXPECT_EQ(r.body, "789");
    EXPECT_EQ(r.header("Content-Range"), "bytes 7-9/10");
    r = co_await range("bytes=-3");
    EXPECT_EQ(r.body, "789");
    r = co_await range("bytes=-30");
    EXPECT_EQ(r.status, 206);
    EXPECT_EQ(r.body, "0123456789");
    r = co_await range("bytes=8-100");
    EXPECT_EQ(r.body, "89");
    r = co_await range("bytes=10-20");
    EXPECT_EQ(r.status, 416);
    EXPECT_EQ(r.header("Content-Range"), "bytes */10");
    EXPECT_EQ((co_await range("bytes=-0")).status, 416);
    for (const char* whole : {"bytes=0-1,4-5", "bytes=5-2", "bytes=x-3", "items=0-1",
                              "bytes=", "bytes=-", "bytes=99999999999999999999-"}) {
        r = co_await range(whole);
        EXPECT_EQ(r.status, 200) << whole;
        EXPECT_EQ(r.body, "0123456789") << whole;
    }
    const std::string etag = r.header("ETag");
    r = co_await range("bytes=0-0", "If-Range: " + etag + "\r\n");
    EXPECT_EQ(r.status, 206);
    EXPECT_EQ(r.body, "0");
    r = co_await range("bytes=0-0", "If-Range: \"stale\"\r\n");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "0123456789");
    r = co_await range("bytes=0-0", "If-Range: W/" + etag + "\r\n"); // weak: never
    EXPECT_EQ(r.status, 200);
    r = co_await range("bytes=0-0", "If-Range: " + r.header("Last-Modified") + "\r\n");
    EXPECT_EQ(r.status, 206);
    reply h = co_await ask(port, "HEAD", "/assets/data.bin", "Range: bytes=0-1\r\n");
    EXPECT_EQ(h.status, 200);
    // curl's --range.
    const command_result c = co_await run_command_async(
        "curl -s -r 1-3 http://127.0.0.1:" + std::to_string(port) + "/assets/data.bin");
    EXPECT_EQ(c.out, "123");
    srv.close();
    co_await srv.wait_closed();
}

WEFT_CO_TEST(http_static, no_path_leaves_the_root) {
    site s;
    server srv;
    srv.static_files("/assets", s.root());
    static_files_options strict;
    strict.follow_symlinks = false;
    srv.static_files("/strict", s.root(), strict);
    static_files_options hidden;
    hidden.serve_hidden = true;
    srv.static_files("/all", s.root(), hidden);
    co_await srv.listen("127.0.0.1", 0);
    const std::uint16_t port = srv.port();
    for (const char* target : {"/assets/../secret.txt",
                               "/assets/sub/../../secret.txt",
                               "/assets/%2e%2e/secret.txt",
                               "/assets/%2E%2E/secret.txt",
                               "/assets/.%2e/secret.txt",
                               "/assets/sub/%2e%2e/index.html",
                               "/assets/..%2fsecret.txt",
                               "/assets/sub%2fpage.txt",
                               "/assets/sub%2Fpage.txt",
                               "/assets/..%5csecret.txt",
                               "/assets/sub%5Cpage.txt",
                               "/assets/index.html%00.txt",
                               "/assets/%00",
                               "/assets/./index.html",
                               "/assets/%2e/index.html",
                               "/assets//index.html",
                               "/assets/sub//page.txt",
                               "/assets/out.txt",
                               "/assets/out_rel.txt",
                               "/assets/outdir/secret.txt",
                               "/assets/pipe",
                               "/assets/.env",
                               "/assets/.git/config",
                               "/assets/%2eenv",
                               "/strict/in.txt",
                               "/all/out.txt",
                               "/all/../secret.txt",
                               "/all/%2e%2e/secret.txt",
                               "/assets/sub\\..\\..\\secret.txt"}) {
        const reply r = co_await ask(port, "GET", target);
        EXPECT_EQ(r.status, 404) << target;
        EXPECT_EQ(r.body.find("secret"), std::string::npos) << target;
        EXPECT_EQ(r.body.find("SECRET"), std::string::npos) << target;
    }
    EXPECT_EQ((co_await ask(port, "GET", "/assets/in.txt")).body, "page"); // a link inside
    EXPECT_EQ((co_await ask(port, "GET", "/strict/sub/page.txt")).body, "page");
    EXPECT_EQ((co_await ask(port, "GET", "/all/.env")).body, "SECRET=1");
    EXPECT_EQ((co_await ask(port, "GET", "/assets/sub/p%61ge.txt")).body, "page"); // decoded
    EXPECT_EQ(srv.stats().not_found, 29u); // counted as the router's 404s are
    srv.close();
    co_await srv.wait_closed();
}

// The fallback for kernels without openat2(2): the same answers.
TEST(http_static, the_fallback_open_keeps_to_the_root) {
    site s;
    const weft::http::detail::static_root root(s.root());
    for (const bool openat2 : {true, false}) {
        const auto opens = [&](const char* rel, bool follow) {
            const int fd = root.open(rel, follow, openat2);
            if (fd >= 0) {
                ::close(fd);
            }
            return fd >= 0;
        };
        EXPECT_TRUE(opens("sub/page.txt", false)) << openat2;
        EXPECT_TRUE(opens("", false)) << openat2;
        EXPECT_TRUE(opens("in.txt", true)) << openat2;
        EXPECT_FALSE(opens("in.txt", false)) << openat2;
        EXPECT_FALSE(opens("out.txt", true)) << openat2;
        EXPECT_FALSE(opens("out_rel.txt", true)) << openat2;
        EXPECT_FALSE(opens("outdir/secret.txt", true)) << openat2;
        EXPECT_FALSE(opens("outdir/secret.txt", false)) << openat2;
        EXPECT_FALSE(opens("missing", true)) << openat2;
        EXPECT_TRUE(opens("pipe", true)) << openat2; // opens without blocking; fstat says fifo
    }
    EXPECT_THROW(weft::http::detail::static_root(s.d.path + "/root/a.css"), weft::error);
}

// A file of several MiB, byte for byte, with sendfile and with the chunked-read path; a range
// deep inside it.
WEFT_CO_TEST(http_static, large_files_arrive_whole_either_way) {
    site s;
    const std::string big = random_bytes(6 * MiB + 123);
    s.d.write("root/big.bin", big);
    for (const bool sendfile : {true, false}) {
        server_options o;
        o.use_sendfile = sendfile;
        server srv(o);
        srv.static_files("/assets", s.root());
        co_await srv.listen("127.0.0.1", 0);
        const std::string out = s.d.path + "/out.bin";
        const command_result c = co_await run_command_async(
            "curl -s -o " + out + " -w '%{http_code} %{size_download}' http://127.0.0.1:" +
            std::to_string(srv.port()) + "/assets/big.bin");
        EXPECT_EQ(c.out, "200 " + std::to_string(big.size())) << sendfile;
        std::ifstream in(out, std::ios::binary);
        const std::string got((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
        EXPECT_TRUE(got == big) << "sendfile " << sendfile << ": " << got.size() << " bytes";
        const reply r =
            co_await ask(srv.port(), "GET", "/assets/big.bin", "Range: bytes=3000000-3999999\r\n");
        EXPECT_EQ(r.status, 206);
        EXPECT_TRUE(r.body == big.substr(3000000, 1000000)) << sendfile;
        EXPECT_EQ(srv.stats().io_errors, 0u);
        srv.close();
        co_await srv.wait_closed();
    }
}

// A handler answers with an open file; one announcing more than the file holds (as a file that
// shrinks while it is sent) ends the connection short of Content-Length, never with other bytes.
WEFT_CO_TEST(http_static, a_file_shorter_than_announced_ends_the_connection) {
    site s;
    const std::string big = random_bytes(2 * MiB);
    s.d.write("root/big.bin", big);
    const std::string path = s.root() + "/big.bin";
    for (const bool sendfile : {true, false}) {
        server_options o;
        o.use_sendfile = sendfile;
        server srv(o);
        srv.route("GET", "/short", [&](request&) -> weft::task<server_response> {
            const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
            co_return server_response::file(fd, 0, big.size() + 5000);
        });
        srv.route("GET", "/file", [&](request& req) -> weft::task<server_response> {
            co_return weft::http::serve_file(req, path);
        });
        co_await srv.listen("127.0.0.1", 0);
        const reply r = co_await ask(srv.port(), "GET", "/short");
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.header("Content-Length"), std::to_string(big.size() + 5000));
        EXPECT_TRUE(r.body == big) << sendfile << ": " << r.body.size();
        const reply f = co_await ask(srv.port(), "GET", "/file", "Range: bytes=-4\r\n");
        EXPECT_EQ(f.status, 206);
        EXPECT_EQ(f.body, big.substr(big.size() - 4));
        srv.close();
        co_await srv.wait_closed();
    }
}

// A client that asks for a large file and stops reading: send_timeout resets it.
WEFT_CO_TEST(http_static, send_timeout_resets_a_client_that_stops_reading) {
    site s;
    s.d.write("root/big.bin", std::string(32 * MiB, 'b'));
    for (const bool sendfile : {true, false}) {
        server_options o;
        o.send_timeout = 300ms;
        o.use_sendfile = sendfile;
        server srv(o);
        srv.static_files("/assets", s.root());
        co_await srv.listen("127.0.0.1", 0);
        const int fd = small_window_client(srv.port(), 4096);
        WEFT_CO_ASSERT_GE(fd, 0);
        const std::string get = "GET /assets/big.bin HTTP/1.1\r\nHost: a\r\n\r\n";
        EXPECT_EQ(::send(fd, get.data(), get.size(), MSG_NOSIGNAL),
                  static_cast<ssize_t>(get.size()));
        auto reset = [&] {
            const auto st = srv.stats();
            return st.send_timeouts == 1 && st.connections_open == 0;
        };
        const bool was_reset = co_await eventually(reset);
        EXPECT_TRUE(was_reset) << sendfile << ": send_timeouts " << srv.stats().send_timeouts;
        ::close(fd);
        srv.close();
        co_await srv.wait_closed();
    }
}

// Every path closes the file: sent, 304, 416, 404, HEAD, a client gone mid-file, a shrunk file.
WEFT_CO_TEST(http_static, file_descriptors_are_closed_on_every_path) {
    site s;
    s.d.write("root/big.bin", std::string(8 * MiB, 'b'));
    server_options o;
    o.send_timeout = 300ms;
    server srv(o);
    srv.static_files("/assets", s.root());
    const std::string path = s.root() + "/data.bin";
    srv.route("GET", "/short", [&](request&) -> weft::task<server_response> {
        co_return server_response::file(::open(path.c_str(), O_RDONLY | O_CLOEXEC), 0, 100);
    });
    co_await srv.listen("127.0.0.1", 0);
    const std::uint16_t port = srv.port();
    (void)co_await ask(port, "GET", "/assets/index.html"); // the first connection's allocations
    const bool settled = co_await eventually([&] { return srv.stats().connections_open == 0; });
    EXPECT_TRUE(settled);
    const std::size_t before = open_fds();
    const std::string etag = (co_await ask(port, "GET", "/assets/a.css")).header("ETag");
    (void)co_await ask(port, "GET", "/assets/a.css", "If-None-Match: " + etag + "\r\n");
    (void)co_await ask(port, "GET", "/assets/a.css", "Range: bytes=99-\r\n");
    (void)co_await ask(port, "HEAD", "/assets/big.bin");
    (void)co_await ask(port, "GET", "/assets/pipe");
    (void)co_await ask(port, "GET", "/assets/sub");
    (void)co_await ask(port, "GET", "/short");
    {
        // Gone after the first bytes of a large file.
        weft::net::connection c = co_await weft::net::connection::connect("127.0.0.1", port);
        const std::string get = "GET /assets/big.bin HTTP/1.1\r\nHost: a\r\n\r\n";
        co_await c.write_all(std::span<const char>(get.data(), get.size()));
        char buf[4096];
        (void)co_await c.read_some(std::span<char>(buf));
        c.abort();
    }
    {
        // Stops reading: reset by send_timeout.
        const int fd = small_window_client(port, 4096);
        const std::string get = "GET /assets/big.bin HTTP/1.1\r\nHost: a\r\n\r\n";
        (void)::send(fd, get.data(), get.size(), MSG_NOSIGNAL);
        const bool reset = co_await eventually([&] { return srv.stats().send_timeouts == 1; });
        EXPECT_TRUE(reset);
        ::close(fd);
    }
    const bool all_closed = co_await eventually(
        [&] { return srv.stats().connections_open == 0 && open_fds() == before; });
    EXPECT_TRUE(all_closed) << open_fds() << " descriptors open, " << before << " before";
    srv.close();
    co_await srv.wait_closed();
}

// The router's {name...} segment: the rest of the path, decoded, slashes included.
WEFT_CO_TEST(http_static, a_tail_segment_takes_the_rest_of_the_path) {
    server srv;
    srv.route("GET", "/files/{path...}", [](request& req) -> weft::task<server_response> {
        co_return server_response::text("[" + std::string(req.param("path")) + "]");
    });
    srv.route("GET", "/u/{id}/{rest...}", [](request& req) -> weft::task<server_response> {
        co_return server_response::text(std::string(req.param("id")) + "|" +
                                        std::string(req.param("rest")));
    });
    srv.route("GET", "/files/exact", [](request&) -> weft::task<server_response> {
        co_return server_response::text("never: the tail route was added first");
    });
    EXPECT_THROW(srv.route("GET", "/x/{a...}/y",
                           [](request&) -> weft::task<server_response> {
                               co_return server_response::text("");
                           }),
                 weft::error);
    co_await srv.listen("127.0.0.1", 0);
    const std::uint16_t port = srv.port();
    EXPECT_EQ((co_await ask(port, "GET", "/files/a/b%20c/d")).body, "[a/b c/d]");
    EXPECT_EQ((co_await ask(port, "GET", "/files/")).body, "[]");
    EXPECT_EQ((co_await ask(port, "GET", "/files/exact")).body, "[exact]");
    EXPECT_EQ((co_await ask(port, "GET", "/files")).status, 404);
    EXPECT_EQ((co_await ask(port, "GET", "/u/7/x/y")).body, "7|x/y");
    EXPECT_EQ((co_await ask(port, "GET", "/u//x")).status, 404);
    reply r = co_await ask(port, "DELETE", "/files/a");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.header("Allow"), "GET, HEAD");
    srv.close();
    co_await srv.wait_closed();
}

WEFT_CO_TEST(http_static, a_missing_file_gets_the_servers_not_found_page) {
    site s;
    server srv;
    srv.static_files("/assets", s.root());
    srv.on_not_found([](request& req) -> weft::task<server_response> {
        co_return server_response::json(
            "{\"error\":\"not found\",\"path\":\"" + std::string(req.path()) + "\"}", 404);
    });
    co_await srv.listen("127.0.0.1", 0);
    const reply missing = co_await ask(srv.port(), "GET", "/assets/missing.txt");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.header("Content-Type"), "application/json");
    EXPECT_EQ(missing.body, "{\"error\":\"not found\",\"path\":\"/assets/missing.txt\"}");
    const reply escape = co_await ask(srv.port(), "GET", "/assets/..%2fsecret.txt");
    EXPECT_EQ(escape.status, 404);
    EXPECT_EQ(escape.header("Content-Type"), "application/json");
    EXPECT_EQ((co_await ask(srv.port(), "GET", "/assets/a.css")).body, "body{}");
    EXPECT_EQ(srv.stats().not_found, 2U);
    srv.close();
    co_await srv.wait_closed();
}
