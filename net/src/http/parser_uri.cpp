// URI authority syntax for the request parser (RFC 3986 section 3.2.2): uri-host [ ":" port ],
// the host a reg-name (IPv4 addresses included), or an IP-literal in brackets (IPv6 or
// IPvFuture). Both the Host field (parser_fields.cpp) and absolute-form and CONNECT targets
// (parser_request_line.cpp) are checked against it, so that weft and any front end agree on which
// host a request is for.

#include "parser_stages.hpp"
#include "parser_text.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace weft::http::detail {

namespace {

// A reg-name's bytes besides pct-encoded: unreserved and sub-delims.
constexpr std::array<bool, 256> reg_name_table = alnum_and("-._~!$&'()*+,;=");

// Where the reg-name (*( unreserved / pct-encoded / sub-delims )) at the start of s ends. IPv4
// addresses are reg-names as far as syntax goes.
std::size_t reg_name_end(std::string_view s) noexcept {
    std::size_t i = 0;
    for (;;) {
        while (i < s.size() && reg_name_table[static_cast<unsigned char>(s[i])]) {
            ++i;
        }
        if (i + 2 < s.size() && s[i] == '%' &&
            hex_value(static_cast<unsigned char>(s[i + 1])) >= 0 &&
            hex_value(static_cast<unsigned char>(s[i + 2])) >= 0) {
            i += 3;
            continue;
        }
        return i;
    }
}

// dec-octet "." dec-octet "." dec-octet "." dec-octet, no leading zeros.
bool valid_ipv4(std::string_view s) noexcept {
    for (int part = 0; part < 4; ++part) {
        std::size_t n = 0;
        int value = 0;
        while (n < s.size() && n < 4 && s[n] >= '0' && s[n] <= '9') {
            value = value * 10 + (s[n] - '0');
            ++n;
        }
        if (n == 0 || n > 3 || value > 255 || (n > 1 && s[0] == '0')) {
            return false;
        }
        s.remove_prefix(n);
        if (part < 3) {
            if (s.empty() || s.front() != '.') {
                return false;
            }
            s.remove_prefix(1);
        }
    }
    return s.empty();
}

// IPv6address: up to eight groups of 1-4 hex digits, one "::" at most standing for one or more
// zero groups, the last two groups possibly written as an IPv4 address.
bool valid_ipv6(std::string_view s) noexcept {
    int groups = 0;
    bool compressed = false;
    std::size_t i = 0;
    if (s.substr(0, 2) == "::") {
        compressed = true;
        i = 2;
    } else if (s.empty() || s.front() == ':') {
        return false;
    }
    while (i < s.size()) {
        std::size_t j = i;
        while (j < s.size() && hex_value(static_cast<unsigned char>(s[j])) >= 0) {
            ++j;
        }
        if (j < s.size() && s[j] == '.') {
            if (!valid_ipv4(s.substr(i))) {
                return false;
            }
            groups += 2;
            break;
        }
        if (j == i || j - i > 4) {
            return false;
        }
        ++groups;
        i = j;
        if (i == s.size()) {
            break;
        }
        if (s[i] != ':' || i + 1 == s.size()) {
            return false; // a byte that is not a separator, or a trailing single ':'
        }
        ++i;
        if (s[i] == ':') {
            if (compressed) {
                return false;
            }
            compressed = true;
            ++i;
        }
    }
    return compressed ? groups <= 7 : groups == 8;
}

// The inside of an IP-literal: IPv6address / IPvFuture ("v" 1*HEXDIG "." 1*( unreserved /
// sub-delims / ":" )).
bool valid_ip_literal(std::string_view s) noexcept {
    if (s.empty() || (s.front() != 'v' && s.front() != 'V')) {
        return valid_ipv6(s);
    }
    const std::size_t dot = s.find('.');
    if (dot == std::string_view::npos || dot < 2 || dot + 1 == s.size()) {
        return false;
    }
    for (std::size_t i = 1; i < dot; ++i) {
        if (hex_value(static_cast<unsigned char>(s[i])) < 0) {
            return false;
        }
    }
    for (char c : s.substr(dot + 1)) {
        if (c != ':' && (c == '%' || !reg_name_table[static_cast<unsigned char>(c)])) {
            return false;
        }
    }
    return true;
}

} // namespace

bool valid_authority(std::string_view s, bool port_required) noexcept {
    std::size_t host_end = 0;
    if (!s.empty() && s.front() == '[') {
        const std::size_t close = s.find(']');
        if (close == std::string_view::npos || !valid_ip_literal(s.substr(1, close - 1))) {
            return false;
        }
        host_end = close + 1;
    } else {
        host_end = reg_name_end(s);
        if (host_end == 0) {
            return false; // an http URI needs a host (RFC 9110 section 4.2.1)
        }
    }
    if (host_end == s.size()) {
        return !port_required;
    }
    if (s[host_end] != ':') {
        return false;
    }
    const std::string_view port = s.substr(host_end + 1);
    if (port.size() > 5 || (port_required && port.empty())) {
        return false;
    }
    std::uint32_t value = 0;
    for (char c : port) {
        if (c < '0' || c > '9') {
            return false;
        }
        value = value * 10 + static_cast<std::uint32_t>(c - '0');
    }
    return value <= 65535;
}

} // namespace weft::http::detail
