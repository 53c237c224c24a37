#include "native.hpp"

#include <weft/executors/remote.hpp>

#include <csignal>
#include <cstdio>
#include <string_view>

namespace service {

std::string slow_hash(const std::string& text, std::uint64_t rounds) {
    std::uint64_t h = 14695981039346656037ULL;
    for (std::uint64_t r = 0; r < rounds; ++r) {
        for (const char c : text) {
            h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
        }
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return hex;
}

namespace {

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

} // namespace

std::map<std::string, std::string> parse_document(const std::string& text) {
    if (text.starts_with("crash")) {
        // The bug: a write through a null pointer. Raised explicitly so that the worker dies of
        // SIGSEGV in every build (a sanitizer would otherwise catch the fault and exit(1)).
        std::signal(SIGSEGV, SIG_DFL);
        std::raise(SIGSEGV);
    }
    if (text.starts_with("hang")) {
        for (;;) { // the other bug: an endless loop
            asm volatile("" ::: "memory");
        }
    }
    std::map<std::string, std::string> fields;
    std::string_view rest = text;
    for (int line_no = 1; !rest.empty(); ++line_no) {
        const auto eol = rest.find('\n');
        const std::string_view line = trim(rest.substr(0, eol));
        rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || trim(line.substr(0, colon)).empty()) {
            throw parse_error("line " + std::to_string(line_no) + ": expected 'key: value'");
        }
        fields[std::string(trim(line.substr(0, colon)))] =
            std::string(trim(line.substr(colon + 1)));
    }
    return fields;
}

} // namespace service

// Registered once, at namespace scope: the worker processes (copies of this program) look the
// function up by this name, and parse_error crosses back as itself.
WEFT_REMOTE(service::parse_document);
WEFT_REMOTE_EXCEPTION(service::parse_error);
