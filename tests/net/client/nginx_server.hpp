#pragma once

/// nginx on 127.0.0.1 for the client tests, with a generated configuration in a temporary
/// directory: static files, redirects, gzip, chunked (SSI) responses, a rate-limited location, an
/// echo location and a TLS server (HTTP/2) with a self-signed certificate made by openssl. Started
/// on first use, stopped at exit. Its access log names each request's connection, so that tests
/// can count connections on the server side.

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace weft::testing {

/// A TCP port on 127.0.0.1 that was free a moment ago.
inline int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        throw std::runtime_error("free_port: no port");
    }
    ::close(fd);
    return ntohs(a.sin_port);
}

/// Whether something accepts connections on 127.0.0.1:port.
inline bool accepting(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

inline void write_file(const std::string& path, std::string_view content) {
    std::ofstream out(path, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) {
        throw std::runtime_error("cannot write " + path);
    }
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// The nginx binary, or empty when it is not installed.
inline std::string nginx_binary() {
    for (const char* p : {"/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"}) {
        if (::access(p, X_OK) == 0) {
            return p;
        }
    }
    return {};
}

class nginx_server {
public:
    /// The shared server, started on first call; nullptr when nginx is absent (reason() says why).
    static nginx_server* get() {
        static std::unique_ptr<nginx_server> s = [] {
            std::unique_ptr<nginx_server> p;
            if (!nginx_binary().empty()) {
                p.reset(new nginx_server());
            }
            return p;
        }();
        return s.get();
    }
    static const char* reason() { return "nginx is not installed (Debian: apt-get install nginx)"; }

    nginx_server(const nginx_server&) = delete;
    nginx_server& operator=(const nginx_server&) = delete;

    ~nginx_server() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
        if (!dir_.empty()) {
            const std::string cmd = "rm -rf '" + dir_ + "'";
            (void)std::system(cmd.c_str());
        }
    }

    [[nodiscard]] std::string url(std::string_view path) const {
        return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
    }
    [[nodiscard]] std::string tls_url(std::string_view path) const {
        return "https://127.0.0.1:" + std::to_string(tls_port_) + std::string(path);
    }
    [[nodiscard]] int port() const noexcept { return port_; }
    [[nodiscard]] const std::string& dir() const noexcept { return dir_; }
    [[nodiscard]] std::string cert_file() const { return dir_ + "/cert.pem"; }
    /// The content of a file under the document root.
    [[nodiscard]] std::string file(std::string_view name) const {
        return read_file(dir_ + "/html/" + std::string(name));
    }

    /// One access-log entry.
    struct entry {
        long connection = 0;
        std::string uri;
        int status = 0;
        long bytes = 0;
    };

    /// The access-log entries whose URI contains tag.
    [[nodiscard]] std::vector<entry> log_with(std::string_view tag) const {
        std::vector<entry> out;
        std::istringstream in(read_file(dir_ + "/access.log"));
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream f(line);
            entry e;
            f >> e.connection >> e.uri >> e.status >> e.bytes;
            if (f && e.uri.find(tag) != std::string::npos) {
                out.push_back(e);
            }
        }
        return out;
    }

    /// The distinct connections that served requests whose URI contains tag.
    [[nodiscard]] std::set<long> connections_with(std::string_view tag) const {
        std::set<long> s;
        for (const entry& e : log_with(tag)) {
            s.insert(e.connection);
        }
        return s;
    }

private:
    nginx_server() {
        char tmpl[] = "/tmp/weft-client-test-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        dir_ = tmpl;
        const std::string run = "mkdir -p '" + dir_ + "/html' '" + dir_ + "/tmp' && cd '" + dir_ +
                                "' && openssl req -x509 -newkey ec -pkeyopt "
                                "ec_paramgen_curve:prime256v1 -nodes -keyout key.pem -out "
                                "cert.pem -days 2 -subj /CN=localhost -addext "
                                "subjectAltName=IP:127.0.0.1,DNS:localhost >openssl.log 2>&1";
        if (std::system(run.c_str()) != 0) {
            throw std::runtime_error("openssl could not make a certificate in " + dir_);
        }
        write_files();
        for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
            port_ = free_port();
            tls_port_ = free_port();
            if (tls_port_ == port_) {
                continue;
            }
            write_config();
            start();
        }
        if (pid_ <= 0) {
            throw std::runtime_error("nginx did not start; see " + dir_ + "/error.log");
        }
    }

    void write_files() {
        const std::string html = dir_ + "/html/";
        write_file(html + "index.html", "<html><body>hello from nginx</body></html>\n");
        std::string text;
        for (int i = 0; text.size() < 64 * 1024; ++i) {
            text += "line " + std::to_string(i) + ": the quick brown fox jumps over the lazy dog\n";
        }
        write_file(html + "text.txt", text);
        std::string big(2 * 1024 * 1024, '\0');
        std::uint32_t x = 2463534242u; // xorshift: incompressible, reproducible
        for (char& c : big) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            c = static_cast<char>(x & 0xff);
        }
        write_file(html + "big.bin", big);
        write_file(html + "ssi.html", "<p>method <!--# echo var=\"request_method\" --> done</p>\n");
    }

    void write_config() {
        const std::string& d = dir_;
        std::ostringstream c;
        c << "worker_processes 1;\n"
          << "pid " << d << "/nginx.pid;\n"
          << "error_log " << d << "/error.log warn;\n"
          << "events { worker_connections 4096; }\n"
          << "http {\n"
          << "  default_type application/octet-stream;\n"
          << "  types { text/html html; text/plain txt; }\n"
          << "  log_format conn '$connection $request_uri $status $body_bytes_sent';\n"
          << "  access_log " << d << "/access.log conn;\n"
          << "  client_body_temp_path " << d << "/tmp/body;\n"
          << "  proxy_temp_path " << d << "/tmp/proxy;\n"
          << "  fastcgi_temp_path " << d << "/tmp/fastcgi;\n"
          << "  uwsgi_temp_path " << d << "/tmp/uwsgi;\n"
          << "  scgi_temp_path " << d << "/tmp/scgi;\n"
          << "  keepalive_requests 1000000;\n"
          << "  keepalive_timeout 60s;\n"
          << "  gzip on; gzip_types text/plain; gzip_min_length 256; gzip_comp_level 1;\n"
          << "  server {\n"
          << "    listen 127.0.0.1:" << port_ << ";\n"
          << "    root " << d << "/html;\n"
          << "    location = /redirect { return 302 /index.html; }\n"
          << "    location = /r3 { return 302 /r2; }\n"
          << "    location = /r2 { return 301 /r1; }\n"
          << "    location = /r1 { return 302 /index.html; }\n"
          << "    location = /loop { return 302 /loop; }\n"
          << "    location = /echo { return 200 \"$request_method $http_x_test\\n\"; }\n"
          << "    location /slow/ { alias " << d << "/html/; limit_rate 20k; }\n"
          << "    location /ssi/ { alias " << d << "/html/; ssi on; }\n"
          << "  }\n"
          << "  server {\n"
          << "    listen 127.0.0.1:" << tls_port_ << " ssl http2;\n"
          << "    ssl_certificate " << d << "/cert.pem;\n"
          << "    ssl_certificate_key " << d << "/key.pem;\n"
          << "    root " << d << "/html;\n"
          << "  }\n"
          << "}\n";
        write_file(d + "/nginx.conf", c.str());
    }

    void start() {
        const std::string bin = nginx_binary();
        const std::string conf = dir_ + "/nginx.conf";
        const std::string err = dir_ + "/error.log";
        pid_t pid = ::fork();
        if (pid == 0) {
            ::execl(bin.c_str(), bin.c_str(), "-p", dir_.c_str(), "-c", conf.c_str(), "-e",
                    err.c_str(), "-g", "daemon off; master_process off;", nullptr);
            ::_exit(127);
        }
        // Wait (bounded) until both ports accept, or nginx exits (a port was taken meanwhile).
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            if (::waitpid(pid, &status, WNOHANG) == pid) {
                return;
            }
            if (accepting(port_) && accepting(tls_port_)) {
                pid_ = pid;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
    }

    std::string dir_;
    int port_ = 0;
    int tls_port_ = 0;
    pid_t pid_ = -1;
};

} // namespace weft::testing
