// Stage 1 of the request head parser: the request line (method SP request-target SP
// HTTP-version, RFC 9112 section 3) and the request-target's form (section 3.2): origin-form,
// absolute-form, asterisk-form for OPTIONS and authority-form for CONNECT. Each scan stops at the
// first byte its part may not hold, and that byte tells whether the part ended where it should.

#include "parser_stages.hpp"
#include "parser_text.hpp"

#include <cstddef>
#include <cstring>
#include <optional>
#include <string_view>

namespace weft::http::detail {

namespace {

// The authority of an absolute-form target ("http://host:port/path"), or nullopt when the target
// is not absolute-form with an http or https scheme.
std::optional<std::string_view> absolute_authority(std::string_view target) noexcept {
    std::size_t scheme = 0;
    if (target.size() >= 7 && iequal(target.substr(0, 7), "http://")) {
        scheme = 7;
    } else if (target.size() >= 8 && iequal(target.substr(0, 8), "https://")) {
        scheme = 8;
    } else {
        return std::nullopt;
    }
    const std::string_view rest = target.substr(scheme);
    return rest.substr(0, rest.find_first_of("/?#"));
}

// "HTTP/d.d" CRLF at p, the version's minor into out: another 1.x is served as 1.1 (RFC 9110
// section 6.2), another major is 505.
parse_error read_version(const char* p, const char* end, request_head& out) noexcept {
    if (end - p >= 10 && std::memcmp(p, "HTTP/1.1\r\n", 10) == 0) {
        out.version_minor = 1;
        return {};
    }
    const std::string_view rest(p, static_cast<std::size_t>(end - p));
    const std::string_view version = rest.substr(0, rest.find("\r\n"));
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
        version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
        return {400, "malformed HTTP version"};
    }
    if (version[5] != '1') {
        return {505, "HTTP version not supported"};
    }
    out.version_minor = version[7] == '0' ? 0 : 1;
    return {};
}

// The request-target's form: origin-form, absolute-form (http or https, with a valid authority
// and no userinfo), asterisk-form for OPTIONS only, authority-form for CONNECT only. weft is no
// proxy: a well-formed CONNECT is answered 501. Sets authority for an absolute-form target.
parse_error check_target(std::string_view method, std::string_view target,
                         std::string_view& authority) noexcept {
    const char first = target.front();
    const std::optional<std::string_view> absolute = absolute_authority(target);
    if (method == "CONNECT") {
        if (first == '/' || first == '*' || absolute) {
            return {400, "CONNECT without an authority-form target"};
        }
        if (!valid_authority(target, true)) {
            return {400, "invalid CONNECT target"};
        }
        return {501, "CONNECT is not supported"};
    }
    if (first == '/') {
        return {};
    }
    if (first == '*') {
        if (target.size() != 1 || method != "OPTIONS") {
            return {400, "asterisk target outside OPTIONS"};
        }
        return {};
    }
    if (!absolute) {
        return {400, "unsupported request target form"};
    }
    // Also rejects userinfo ("user@host", RFC 9110 section 4.2.4) and an empty host.
    if (!valid_authority(*absolute)) {
        return {400, "invalid authority in the request target"};
    }
    authority = *absolute;
    return {};
}

} // namespace

parse_error read_request_line(const char*& p, const char* end, request_head& out,
                              std::string_view& target_authority) noexcept {
    const char* const method = p;
    while (tchar_table[static_cast<unsigned char>(*p)]) {
        ++p;
    }
    if (*p != ' ' || p == method) {
        return {400, *p == '\r' ? "malformed request line" : "invalid method"};
    }
    out.method = std::string_view(method, static_cast<std::size_t>(p - method));
    const char* const target = ++p;
    while (static_cast<unsigned char>(*p - 0x21) < 0x5e) { // visible ASCII
        ++p;
    }
    if (*p != ' ') {
        return {400, *p == '\r' ? "malformed request line" : "invalid character in request target"};
    }
    if (p == target) {
        return {400, "empty request target"};
    }
    out.target = std::string_view(target, static_cast<std::size_t>(p - target));
    ++p;
    if (const parse_error e = read_version(p, end, out); e.status != 0) {
        return e;
    }
    p += 10;
    return check_target(out.method, out.target, target_authority);
}

} // namespace weft::http::detail
