#pragma once

// The byte classes and small string helpers that every stage of the request parser shares
// (parser*.cpp): RFC 9110 token characters, what a field value may hold, case-insensitive
// comparison, optional-whitespace trimming, comma-separated lists and hex digits. Header-only, so
// the stages' inner loops inline them; standard library only, like the rest of the parser.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace weft::http::detail {

/// A byte table: digits, letters and the bytes of `others`.
constexpr std::array<bool, 256> alnum_and(std::string_view others) {
    std::array<bool, 256> t{};
    for (int c = '0'; c <= '9'; ++c) {
        t[static_cast<std::size_t>(c)] = true;
    }
    for (int c = 'a'; c <= 'z'; ++c) {
        t[static_cast<std::size_t>(c)] = true;
        t[static_cast<std::size_t>(c - 'a' + 'A')] = true;
    }
    for (const char c : others) {
        t[static_cast<unsigned char>(c)] = true;
    }
    return t;
}

// RFC 9110 tchar: digits, letters and !#$%&'*+-.^_`|~.
inline constexpr std::array<bool, 256> tchar_table = alnum_and("!#$%&'*+-.^_`|~");

// What a byte may be in a field value: a visible character or obs-text, optional whitespace
// (SP, HTAB), or neither (CR, LF, NUL and the other controls, DEL).
enum class field_byte : std::uint8_t { invalid, visible, ows };

inline constexpr std::array<field_byte, 256> field_value_table = [] {
    std::array<field_byte, 256> t{};
    for (int c = 0x21; c < 0x100; ++c) {
        t[static_cast<std::size_t>(c)] = c == 0x7f ? field_byte::invalid : field_byte::visible;
    }
    t[' '] = field_byte::ows;
    t['\t'] = field_byte::ows;
    return t;
}();

constexpr char lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline bool iequal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

constexpr bool is_ows(char c) noexcept {
    return c == ' ' || c == '\t';
}

inline std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_ows(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

// Calls f(element) for each element of a comma-separated list, trimmed; empty ones are skipped
// (RFC 9110 section 5.6.1). Stops and returns false when f does.
template <class F>
bool for_each_element(std::string_view list, F&& f) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        std::string_view item = trim(list.substr(0, comma));
        if (!item.empty() && !f(item)) {
            return false;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        list.remove_prefix(comma + 1);
    }
    return true;
}

constexpr int hex_value(unsigned char c) noexcept {
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

inline bool all_tchar(std::string_view s) noexcept {
    for (char c : s) {
        if (!tchar_table[static_cast<unsigned char>(c)]) {
            return false;
        }
    }
    return !s.empty();
}

} // namespace weft::http::detail
