// The answer to a request for an open file (file_answer.hpp): the file body's ownership, the
// validators, the conditional requests and the byte ranges.
//
// RFC 9110 section 13.2.2's order, for GET and HEAD: If-None-Match when present (weak
// comparison, a list or "*"), else If-Modified-Since, decide 304; then Range, unless If-Range
// names another version of the file, decides 206 or 416. A malformed Range, several ranges, or
// Range on an empty file give the whole file, as section 14.2 allows.

#include "file_answer.hpp"

#include "date_line.hpp"

#include <weft/net/http/headers.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <utility>

namespace weft::http {

namespace detail {

file_body::~file_body() {
    if (fd >= 0) {
        ::close(fd);
    }
}

namespace {

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

// "W/\"x\"" -> "\"x\"".
std::string_view opaque_tag(std::string_view tag) noexcept {
    if (tag.starts_with("W/")) {
        tag.remove_prefix(2);
    }
    return tag;
}

// Whether an If-None-Match value ("*" or a list of entity tags) matches etag (weak comparison).
bool none_match_hits(std::string_view list, std::string_view etag) noexcept {
    for (;;) {
        const auto comma = list.find(',');
        const std::string_view item = trim(list.substr(0, comma));
        if (item == "*" || (!item.empty() && opaque_tag(item) == etag)) {
            return true;
        }
        if (comma == std::string_view::npos) {
            return false;
        }
        list.remove_prefix(comma + 1);
    }
}

// Whether the request's If-None-Match or If-Modified-Since says the client has this version.
bool not_modified(const request& req, std::string_view etag, std::time_t mtime) {
    bool has_inm = false;
    for (const header_view& f : req.headers()) {
        if (iequals(f.name, "if-none-match")) {
            has_inm = true;
            if (none_match_hits(f.value, etag)) {
                return true;
            }
        }
    }
    if (has_inm) {
        return false; // If-None-Match wins: If-Modified-Since is not looked at
    }
    const auto ims = req.header("if-modified-since");
    if (!ims) {
        return false;
    }
    const std::optional<std::time_t> t = parse_http_date(trim(*ims));
    return t && mtime <= *t;
}

// Whether If-Range, if any, lets the Range field apply: a strong match of the ETag, or the exact
// Last-Modified date.
bool range_applies(const request& req, std::string_view etag, std::time_t mtime) {
    const auto v = req.header("if-range");
    if (!v) {
        return true;
    }
    const std::string_view value = trim(*v);
    if (value.starts_with("\"") || value.starts_with("W/")) {
        return value == etag; // strong comparison: a weak tag never matches
    }
    const std::optional<std::time_t> t = parse_http_date(value);
    return t && *t == mtime;
}

// Parses decimal digits into v; false when s is empty, not all digits, or overflows.
bool parse_u64(std::string_view s, std::uint64_t& v) noexcept {
    if (s.empty() || s.size() > 19) {
        return false;
    }
    v = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return true;
}

std::string make_etag(const struct stat& st) {
    const auto ns = static_cast<unsigned long long>(st.st_mtim.tv_sec) * 1000000000ULL +
                    static_cast<unsigned long long>(st.st_mtim.tv_nsec);
    char buf[80];
    std::snprintf(buf, sizeof buf, "\"%llx-%llx-%llx\"",
                  static_cast<unsigned long long>(st.st_size), ns,
                  static_cast<unsigned long long>(st.st_ino));
    return buf;
}

} // namespace

byte_range parse_range(std::string_view value, std::uint64_t size) noexcept {
    byte_range r;
    value = trim(value);
    if (value.size() < 6 || !iequals(value.substr(0, 6), "bytes=") || size == 0) {
        return r;
    }
    const std::string_view spec = trim(value.substr(6));
    const auto dash = spec.find('-');
    if (spec.find(',') != std::string_view::npos || dash == std::string_view::npos) {
        return r; // several ranges, or malformed: the whole file
    }
    const std::string_view a = spec.substr(0, dash);
    const std::string_view b = spec.substr(dash + 1);
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    if (a.empty()) { // -n: the last n bytes
        if (!parse_u64(b, last)) {
            return r;
        }
        if (last == 0) {
            r.k = byte_range::kind::unsatisfiable;
            return r;
        }
        r.k = byte_range::kind::part;
        r.first = last >= size ? 0 : size - last;
        r.last = size - 1;
        return r;
    }
    if (!parse_u64(a, first) || (!b.empty() && (!parse_u64(b, last) || last < first))) {
        return r;
    }
    if (first >= size) {
        r.k = byte_range::kind::unsatisfiable;
        return r;
    }
    r.k = byte_range::kind::part;
    r.first = first;
    r.last = b.empty() || last >= size ? size - 1 : last;
    return r;
}

std::optional<std::time_t> parse_http_date(std::string_view s) noexcept {
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    static constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
        s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
        return std::nullopt;
    }
    const auto num = [&](std::size_t at, std::size_t n, int& out) {
        std::uint64_t v = 0;
        if (!parse_u64(s.substr(at, n), v)) {
            return false;
        }
        out = static_cast<int>(v);
        return true;
    };
    std::tm tm{};
    int year = 0;
    const auto mon = months.find(s.substr(8, 3));
    if (mon == std::string_view::npos || mon % 3 != 0 || !num(5, 2, tm.tm_mday) ||
        !num(12, 4, year) || !num(17, 2, tm.tm_hour) || !num(20, 2, tm.tm_min) ||
        !num(23, 2, tm.tm_sec) || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60) {
        return std::nullopt;
    }
    tm.tm_mon = static_cast<int>(mon / 3);
    tm.tm_year = year - 1900;
    return timegm(&tm);
}

server_response not_found_answer() {
    return server_response(404, "Not Found\n");
}

server_response answer_with_file(const request& req, int fd, const struct stat& st,
                                 std::string_view name, const static_files_options& opts) {
    file_body owner(fd, 0, 0); // closes fd unless handed to the response
    const std::string etag = make_etag(st);
    const std::time_t mtime = st.st_mtim.tv_sec;
    const auto validators = [&](server_response& r) {
        r.set_header("ETag", etag);
        char date[32];
        r.set_header("Last-Modified", std::string(format_http_date(mtime, date)));
        if (!opts.cache_control.empty()) {
            r.set_header("Cache-Control", opts.cache_control);
        }
    };
    if (not_modified(req, etag, mtime)) {
        server_response r(304);
        validators(r);
        return r;
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    byte_range range;
    if (const auto value = req.header("range");
        value && req.method() == "GET" && range_applies(req, etag, mtime)) {
        range = parse_range(*value, size);
    }
    if (range.k == byte_range::kind::unsatisfiable) {
        server_response r(416, "Range Not Satisfiable\n");
        r.set_header("Content-Range", "bytes */" + std::to_string(size));
        r.set_header("Accept-Ranges", "bytes");
        validators(r);
        return r;
    }
    const bool part = range.k == byte_range::kind::part;
    const std::uint64_t first = part ? range.first : 0;
    const std::uint64_t length = part ? range.last - range.first + 1 : size;
    owner.fd = -1;
    server_response r =
        server_response::file(fd, first, length, part ? 206 : 200, content_type_for(name));
    if (part) {
        r.set_header("Content-Range", "bytes " + std::to_string(first) + "-" +
                                          std::to_string(range.last) + "/" + std::to_string(size));
    }
    r.set_header("Accept-Ranges", "bytes");
    validators(r);
    return r;
}

} // namespace detail

server_response server_response::file(int fd, std::uint64_t offset, std::uint64_t length,
                                      int status, std::string_view content_type) {
    std::shared_ptr<const detail::file_body> body;
    try {
        body = std::make_shared<const detail::file_body>(fd, offset, length);
    } catch (...) {
        ::close(fd);
        throw;
    }
    server_response r(status);
    r.file_ = std::move(body);
    r.set_content_type(content_type);
    return r;
}

} // namespace weft::http
