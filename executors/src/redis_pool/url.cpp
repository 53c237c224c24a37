// parse_redis_url: the broker URL forms of redis_pool and its workers, checked strictly so that a
// typo fails at construction with a message rather than as a connection that never comes.
// Credentials may be percent-encoded (a password with '@' or ':'); they never appear in messages.

#include "url.hpp"

#include <charconv>
#include <stdexcept>
#include <string>

namespace weft::detail::rp {

namespace {

[[noreturn]] void bad(const std::string& why) {
    throw std::invalid_argument("redis_pool: bad broker URL: " + why);
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

std::string percent_decode(std::string_view s, const char* what) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out.push_back(s[i]);
            continue;
        }
        const int hi = i + 2 < s.size() ? hex_digit(s[i + 1]) : -1;
        const int lo = i + 2 < s.size() ? hex_digit(s[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
            bad(std::string("a bad %-escape in the ") + what);
        }
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

int parse_int(std::string_view s, int lo, int hi, const char* what) {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) {
        // The text is not repeated: a URL missing its '@' puts a password where the port goes.
        bad(std::string(what) + " is not a number from " + std::to_string(lo) + " to " +
            std::to_string(hi));
    }
    return v;
}

/// "host[:port]" or "[v6][:port]".
void parse_host_port(std::string_view hp, redis_address& a) {
    if (hp.empty()) {
        bad("no host");
    }
    std::string_view port;
    if (hp.front() == '[') {
        const auto close = hp.find(']');
        if (close == std::string_view::npos) {
            bad("an IPv6 host without its closing ']'");
        }
        a.host = std::string(hp.substr(1, close - 1));
        std::string_view rest = hp.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                bad("text after the IPv6 host");
            }
            port = rest.substr(1);
        }
    } else {
        const auto colon = hp.rfind(':');
        a.host = std::string(hp.substr(0, colon));
        if (colon != std::string_view::npos) {
            port = hp.substr(colon + 1);
        }
    }
    if (a.host.empty()) {
        bad("no host");
    }
    if (!port.empty()) {
        a.port = parse_int(port, 1, 65535, "the port");
    }
}

void parse_userinfo(std::string_view ui, redis_address& a) {
    const auto colon = ui.find(':');
    if (colon == std::string_view::npos) {
        a.password = percent_decode(ui, "password"); // redis://secret@host: a password alone
        return;
    }
    a.user = percent_decode(ui.substr(0, colon), "user");
    a.password = percent_decode(ui.substr(colon + 1), "password");
}

void parse_tcp(std::string_view rest, redis_address& a) {
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (slash != std::string_view::npos && slash + 1 < rest.size()) {
        a.db = parse_int(rest.substr(slash + 1), 0, 1 << 20, "the database number");
    }
    const auto at = authority.rfind('@');
    if (at != std::string_view::npos) {
        parse_userinfo(authority.substr(0, at), a);
        authority = authority.substr(at + 1);
    }
    parse_host_port(authority, a);
}

void parse_unix(std::string_view rest, redis_address& a) {
    a.unix_socket = true;
    const auto q = rest.find('?');
    a.path = std::string(rest.substr(0, q));
    if (a.path.empty() || a.path.front() != '/') {
        bad("a Unix socket path must be absolute (unix:///path/to/redis.sock)");
    }
    if (q != std::string_view::npos) {
        std::string_view query = rest.substr(q + 1);
        if (query.substr(0, 3) != "db=") {
            bad("the only query a unix:// URL takes is ?db=N");
        }
        a.db = parse_int(query.substr(3), 0, 1 << 20, "the database number");
    }
}

} // namespace

std::string redis_address::where() const {
    if (unix_socket) {
        return path;
    }
    return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
           std::to_string(port);
}

redis_address parse_redis_url(std::string_view url, const std::string& user,
                              const std::string& password) {
    redis_address a;
    if (url.substr(0, 8) == "redis://") {
        parse_tcp(url.substr(8), a);
    } else if (url.substr(0, 7) == "unix://") {
        parse_unix(url.substr(7), a);
    } else if (url.substr(0, 9) == "rediss://") {
        bad("rediss:// (TLS) is not supported by this build's hiredis: reach Redis over a private "
            "network or a local TLS tunnel (stunnel, spiped) and give its redis:// address");
    } else {
        bad("it must start with redis:// or unix:// (e.g. redis://host:6379/0, "
            "unix:///run/redis.sock)");
    }
    if (!user.empty()) {
        a.user = user;
    }
    if (!password.empty()) {
        a.password = password;
    }
    return a;
}

} // namespace weft::detail::rp
