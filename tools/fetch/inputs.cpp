// `weft fetch`'s inputs (inputs.hpp): URLs made whole and checked, URL lists read from files,
// and the request of -X, -H and -d, each with a message that names what is wrong.

#include "inputs.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include <sys/stat.h>

namespace weft::tools::fetch {

namespace {

/// RFC 3986's scheme: a letter, then letters, digits, '+', '-', '.'.
bool is_scheme(std::string_view s) {
    if (s.empty() || std::isalpha(static_cast<unsigned char>(s[0])) == 0) {
        return false;
    }
    for (char c : s) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '+' && c != '-' && c != '.') {
            return false;
        }
    }
    return true;
}

/// Whether `rest` (what follows "host:") is a port: digits up to the end, '/', '?' or '#' (or
/// nothing at all, "host:"). "/bad" of "htp:/bad" is not.
bool starts_with_port(std::string_view rest) {
    std::size_t i = 0;
    while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i])) != 0) {
        ++i;
    }
    if (i == rest.size()) {
        return true;
    }
    return i > 0 && (rest[i] == '/' || rest[i] == '?' || rest[i] == '#');
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string quoted(std::string_view s) {
    return "\"" + std::string(s) + "\"";
}

[[noreturn]] void unsupported(std::string_view scheme, const std::string& url) {
    throw input_error("unsupported scheme " + quoted(scheme) + " in " + quoted(url) +
                      " (weft fetch speaks http and https)");
}

[[noreturn]] void malformed(const std::string& url, const std::string& why) {
    throw input_error("malformed URL " + quoted(url) + ": " + why);
}

/// Checks the host and port of a URL that has its scheme ("http://host:port/...").
void check_authority(const std::string& full, const std::string& url) {
    const std::size_t start = full.find("://") + 3;
    const std::size_t end = std::min(full.find_first_of("/?#", start), full.size());
    std::string_view authority = std::string_view(full).substr(start, end - start);
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        authority.remove_prefix(at + 1); // user:password@
    }
    std::string_view host = authority;
    std::string_view port;
    if (!authority.empty() && authority[0] == '[') { // [IPv6]:port
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            malformed(url, "no ']' after the IPv6 address");
        }
        host = authority.substr(0, close + 1);
        if (close + 1 < authority.size()) {
            if (authority[close + 1] != ':') {
                malformed(url, "':' or '/' expected after the IPv6 address");
            }
            port = authority.substr(close + 2);
        }
    } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty()) {
        malformed(url, "no host");
    }
    if (port.find_first_not_of("0123456789") != std::string_view::npos || port.size() > 5 ||
        (!port.empty() && std::stol(std::string(port)) > 65535)) {
        malformed(url, "the port " + quoted(port) + " is not a number from 0 to 65535");
    }
}

/// The file's bytes, at most `room` of them. @throws input_error naming the file (what = "-d
/// @path") when it cannot be read, is a directory, or holds more than `room` bytes.
std::string read_data_file(const std::string& path, const std::string& what, std::size_t room) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        throw input_error(what + ": " + std::strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
        throw input_error(what + ": " + std::strerror(EISDIR));
    }
    const std::string too_large = what + ": larger than the " +
                                  std::to_string(max_data_bytes >> 20) + " MiB that -d may send";
    if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) > room) {
        throw input_error(too_large); // without reading it
    }
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"),
                                                            &std::fclose);
    if (!f) {
        throw input_error(what + ": " + std::strerror(errno));
    }
    std::string out;
    char buf[65536];
    while (const std::size_t n = std::fread(buf, 1, sizeof buf, f.get())) {
        if (out.size() + n > room) {
            throw input_error(too_large); // a pipe or a file that grew
        }
        out.append(buf, n);
    }
    if (std::ferror(f.get()) != 0) {
        throw input_error(what + ": " + std::strerror(errno));
    }
    return out;
}

/// An HTTP token (RFC 9110): the characters a method or a field name may hold.
bool is_token(std::string_view s) {
    constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
    return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
               extra.find(c) != std::string_view::npos;
    });
}

http::header_field parse_header(const std::string& h) {
    if (h.find_first_of("\r\n") != std::string::npos) {
        throw input_error("-H " + quoted(h) + ": a header may not hold a line break");
    }
    const auto colon = h.find(':');
    if (colon == std::string::npos) {
        throw input_error("-H " + quoted(h) + ": a header is \"Name: value\" (no ':' found)");
    }
    const std::string name = h.substr(0, colon);
    if (!is_token(name)) {
        throw input_error("-H " + quoted(h) + ": " + quoted(name) + " is not a header name");
    }
    const auto b = h.find_first_not_of(" \t", colon + 1);
    const auto e = h.find_last_not_of(" \t");
    return {name, b == std::string::npos ? std::string() : h.substr(b, e - b + 1)};
}

} // namespace

std::string normalise_url(const std::string& url) {
    if (url.empty()) {
        throw input_error("an empty URL");
    }
    for (const char c : url) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
            malformed(url, "it holds a space or a control character");
        }
    }
    std::string full;
    const auto sep = url.find("://");
    if (sep != std::string::npos && is_scheme(std::string_view(url).substr(0, sep))) {
        const std::string scheme = lower(url.substr(0, sep));
        if (scheme != "http" && scheme != "https") {
            unsupported(url.substr(0, sep), url);
        }
        full = url;
    } else {
        // "name:rest" names a scheme unless rest starts with a port ("localhost:8765/x") or the
        // colon belongs to user:password@ ("user:pw@host/x"), as curl reads it.
        const auto colon = url.find(':');
        const auto slash = url.find('/');
        const bool userinfo = url.find('@') < slash;
        if (colon != std::string::npos && !userinfo &&
            is_scheme(std::string_view(url).substr(0, colon)) &&
            !starts_with_port(std::string_view(url).substr(colon + 1))) {
            const std::string scheme = lower(url.substr(0, colon));
            if (scheme == "http" || scheme == "https") {
                malformed(url, "\"//\" expected after \"" + url.substr(0, colon) + ":\"");
            }
            unsupported(url.substr(0, colon), url);
        }
        full = "http://" + url;
    }
    check_authority(full, url);
    return full;
}

std::vector<std::string> read_url_lines(std::istream& in, const std::string& name,
                                        std::size_t before) {
    std::vector<std::string> out;
    std::streambuf* buf = in.rdbuf();
    std::string line;
    std::size_t number = 0;
    for (bool more = buf != nullptr; more;) {
        line.clear();
        ++number;
        int c = 0;
        while ((c = buf->sbumpc()) != std::char_traits<char>::eof() && c != '\n') {
            if (line.size() == max_url_line_bytes) {
                throw input_error(name + ": line " + std::to_string(number) + " is longer than " +
                                  std::to_string(max_url_line_bytes) +
                                  " bytes (a URL a line is expected)");
            }
            line += static_cast<char>(c);
        }
        more = c != std::char_traits<char>::eof();
        const auto b = line.find_first_not_of(" \t\r");
        if (b == std::string::npos || line[b] == '#') {
            continue;
        }
        if (before + out.size() == max_urls) {
            throw input_error(name + ": more than " + std::to_string(max_urls) +
                              " URLs (the most one run takes)");
        }
        const auto e = line.find_last_not_of(" \t\r");
        out.push_back(line.substr(b, e - b + 1));
    }
    return out;
}

std::vector<std::string> read_url_file(const std::string& path, std::size_t before) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        throw input_error("cannot read " + path + ": " + std::strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
        throw input_error("cannot read " + path + ": " + std::strerror(EISDIR) +
                          " (--file takes a file of URLs, one a line)");
    }
    std::ifstream in(path);
    if (!in) {
        throw input_error("cannot read " + path + ": " + std::strerror(errno));
    }
    return read_url_lines(in, "--file " + path, before);
}

request_spec build_request(const fetch_options& o) {
    request_spec r;
    for (const std::string& h : o.header) {
        http::header_field f = parse_header(h);
        r.headers.add(std::move(f.name), std::move(f.value));
    }
    for (std::size_t i = 0; i < o.data.size(); ++i) {
        const std::string& d = o.data[i];
        if (i > 0) {
            r.body += '&';
        }
        const std::size_t room = max_data_bytes - std::min(max_data_bytes, r.body.size());
        if (d.starts_with("@")) {
            if (d == "@-") {
                throw input_error("-d @-: reading the body from stdin is not supported; give "
                                  "-d @FILE");
            }
            r.body += read_data_file(d.substr(1), "-d " + d, room);
        } else if (d.size() > room) {
            throw input_error("-d: larger than the " + std::to_string(max_data_bytes >> 20) +
                              " MiB that -d may send");
        } else {
            r.body += d;
        }
    }
    if (!o.method.empty()) {
        if (!is_token(o.method)) {
            throw input_error("-X " + quoted(o.method) +
                              ": not an HTTP method (a token such as "
                              "GET, POST, PUT, DELETE)");
        }
        r.method = o.method;
    } else if (!o.data.empty()) {
        r.method = "POST";
    }
    return r;
}

} // namespace weft::tools::fetch
