// The access log's lines (access_log.hpp): text or JSON, with the escaping that keeps a line
// unambiguous (text) or valid (JSON) whatever bytes a client put in its target or header fields.

#include "access_log.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>

namespace weft::http::detail {

namespace {

// The length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlong forms, no surrogates,
// nothing past U+10FFFF), or 0 when the bytes there are not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const auto cont = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
        return i + k < s.size() && at(k) >= lo && at(k) <= hi;
    };
    const unsigned c = at(0);
    if (c >= 0xC2 && c <= 0xDF) {
        return cont(1) ? 2 : 0;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        const unsigned lo = c == 0xE0 ? 0xA0 : 0x80;
        const unsigned hi = c == 0xED ? 0x9F : 0xBF;
        return cont(1, lo, hi) && cont(2) ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        const unsigned lo = c == 0xF0 ? 0x90 : 0x80;
        const unsigned hi = c == 0xF4 ? 0x8F : 0xBF;
        return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
}

// s as the text format writes it: as it is, or (when it holds a quote, a backslash or a byte
// outside printable ASCII) with those bytes as \xHH, as nginx's log does, into scratch.
std::string_view text_safe(std::string_view s, std::string& scratch) {
    const auto unsafe = [](unsigned char c) {
        return c == '"' || c == '\\' || c < 0x20 || c >= 0x7F;
    };
    if (std::none_of(s.begin(), s.end(),
                     [&](char c) { return unsafe(static_cast<unsigned char>(c)); })) {
        return s;
    }
    static constexpr char hex[] = "0123456789ABCDEF";
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (unsafe(c)) {
            scratch += "\\x";
            scratch += hex[c >> 4];
            scratch += hex[c & 0xF];
        } else {
            scratch += ch;
        }
    }
    return scratch;
}

} // namespace

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            const std::size_t n = utf8_sequence(s, i);
            if (n == 0) {
                out += "\\ufffd";
                ++i;
            } else {
                out.append(s.substr(i, n));
                i += n;
            }
            continue;
        }
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20 || c == 0x7F) {
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 0xF];
            } else {
                out += static_cast<char>(c);
            }
        }
        ++i;
    }
    out += '"';
}

void write_access_line(spdlog::logger& log, access_log_format format, const access_entry& e) {
    // Milliseconds with three decimals, from integers (a printf %f would follow the C locale).
    const auto us = static_cast<unsigned long long>(std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::microseconds>(e.duration).count()));
    if (format == access_log_format::text) {
        std::string escaped; // only when the target has a byte that would make the line ambiguous
        const std::string_view target = text_safe(e.target, escaped);
        log.info("{} \"{} {} HTTP/1.{}\" {} {} {}.{:03}ms", e.remote, e.method, target,
                 e.version_minor, e.status, e.bytes, us / 1000, us % 1000);
        return;
    }
    std::string line;
    line.reserve(160 + e.target.size() + e.user_agent.size());
    line += "{\"remote\":";
    append_json_string(line, e.remote);
    line += ",\"method\":";
    append_json_string(line, e.method);
    line += ",\"target\":";
    append_json_string(line, e.target);
    line += ",\"version\":\"1.";
    line += static_cast<char>('0' + (e.version_minor == 0 ? 0 : 1));
    line += "\",\"route\":";
    append_json_string(line, e.route);
    char numbers[96];
    const int n = std::snprintf(
        numbers, sizeof numbers, ",\"status\":%d,\"bytes\":%llu,\"duration_ms\":%llu.%03llu",
        e.status, static_cast<unsigned long long>(e.bytes), us / 1000, us % 1000);
    line.append(numbers, static_cast<std::size_t>(n > 0 ? n : 0));
    line += ",\"user_agent\":";
    append_json_string(line, e.user_agent);
    line += '}';
    log.info("{}", line);
}

} // namespace weft::http::detail
