// The request head parser's driver (head_parser, declared in parser.hpp): it finds the head's
// lines as bytes arrive, enforcing the bare-CR/LF rules and the size limits while the head is
// still incomplete, then runs the stages of parser_stages.hpp over the complete head. Also the
// two small lookups that parser.hpp offers the server: token characters and reason phrases.
//
// parse() is handed every unconsumed byte of the connection's read buffer each time more
// arrives, and remembers how far it has looked (scanned_, cr_checked_), so feeding a head byte by
// byte costs O(n) in all.

#include "parser.hpp"
#include "parser_stages.hpp"
#include "parser_text.hpp"

#include <array>
#include <cstddef>
#include <cstring>
#include <string_view>
#include <utility>

namespace weft::http::detail {

namespace {

constexpr std::size_t max_leading_blank_lines = 8;

} // namespace

bool is_tchar(unsigned char c) noexcept {
    return tchar_table[c];
}

parse_status head_parser::parse(std::string_view buf, request_head& out) {
    if (error_.status != 0) {
        return parse_status::error;
    }
    if (!started_) {
        if (const parse_status st = skip_blank_lines(buf); st != parse_status::complete) {
            return st;
        }
    }
    const parser_limits& lim = *limits_;
    for (;;) {
        const void* hit = scanned_ < buf.size()
                              ? std::memchr(buf.data() + scanned_, '\n', buf.size() - scanned_)
                              : nullptr;
        if (hit == nullptr) {
            return line_unfinished(buf);
        }
        const auto nl = static_cast<std::size_t>(static_cast<const char*>(hit) - buf.data());
        scanned_ = nl + 1;
        if (nl == line_start_ || buf[nl - 1] != '\r') {
            return fail(400, "bare LF");
        }
        const std::size_t len = nl - 1 - line_start_;
        if (lines_ == 0 && len > lim.max_request_line) {
            return fail(414, "request line too long");
        }
        if (scanned_ - skip_ > lim.max_header_bytes) {
            return fail(431, "request head too large");
        }
        if (len == 0) {
            out.clear();
            out.consumed = scanned_;
            return finish(buf.substr(skip_, scanned_ - skip_), out);
        }
        ++lines_;
        if (lines_ > lim.max_headers + 1) {
            return fail(431, "too many header fields");
        }
        line_start_ = scanned_;
    }
}

// Blank lines before the request line are ignored (RFC 9112 section 2.2), a few of them.
// complete: the request line begins at scanned_.
parse_status head_parser::skip_blank_lines(std::string_view buf) noexcept {
    while (!started_) {
        if (scanned_ >= buf.size()) {
            return parse_status::need_more;
        }
        const char c = buf[scanned_];
        if (c == '\r') {
            if (scanned_ + 1 >= buf.size()) {
                return parse_status::need_more;
            }
            if (buf[scanned_ + 1] != '\n') {
                return fail(400, "bare CR");
            }
            scanned_ += 2;
            skip_ = scanned_;
            if (skip_ > 2 * max_leading_blank_lines) {
                return fail(400, "too many blank lines before the request");
            }
            continue;
        }
        if (c == '\n') {
            return fail(400, "bare LF");
        }
        started_ = true;
        line_start_ = scanned_;
    }
    return parse_status::complete;
}

// The buffer ends inside a line: the head goes on, within its limits so far. A CR not followed by
// LF fails now, not when the head ends (finish() finds the ones of a head that ended in this
// call).
parse_status head_parser::line_unfinished(std::string_view buf) noexcept {
    scanned_ = buf.size();
    if (!crs_paired(buf)) {
        return fail(400, "bare CR");
    }
    const parser_limits& lim = *limits_;
    const std::size_t partial = scanned_ - line_start_;
    if (lines_ == 0 && partial > lim.max_request_line + 1) {
        return fail(414, "request line too long");
    }
    if (scanned_ - skip_ > lim.max_header_bytes) {
        return fail(431, "request head too large");
    }
    return parse_status::need_more;
}

// Every CR in buf is followed by LF (RFC 9112 section 2.2), but for a last byte still waiting for
// the next. Picks up where the last call stopped, so a head fed in pieces is searched once.
bool head_parser::crs_paired(std::string_view buf) noexcept {
    while (cr_checked_ + 1 < buf.size()) {
        const void* cr = std::memchr(buf.data() + cr_checked_, '\r', buf.size() - 1 - cr_checked_);
        if (cr == nullptr) {
            cr_checked_ = buf.size() - 1;
            break;
        }
        const auto at = static_cast<std::size_t>(static_cast<const char*>(cr) - buf.data());
        if (buf[at + 1] != '\n') {
            return false;
        }
        cr_checked_ = at + 2;
    }
    return true;
}

// The head is checked and split in one pass per line: each scan stops at the first byte its
// part may not hold, and that byte tells whether the part ended where it should. parse() made
// sure that every LF of the head follows a CR and that the head ends with an empty line, so every
// scan stops inside it (CR belongs to no part; one that no LF follows fails where a scan stops).
parse_status head_parser::finish(std::string_view head, request_head& out) {
    const char* p = head.data();
    const char* const end = head.data() + head.size();
    std::string_view target_authority;
    field_facts facts;
    parse_error e = read_request_line(p, end, out, target_authority);
    if (e.status == 0) {
        e = read_fields(p, limits_->max_headers, out, facts);
    }
    if (e.status == 0) {
        e = decide(facts, target_authority, *limits_, out);
    }
    if (e.status != 0) {
        return fail(e.status, e.reason);
    }
    return parse_status::complete;
}

std::string_view reason_phrase(int status) noexcept {
    static constexpr std::pair<int, std::string_view> phrases[] = {
        {100, "Continue"},
        {101, "Switching Protocols"},
        {200, "OK"},
        {201, "Created"},
        {202, "Accepted"},
        {204, "No Content"},
        {206, "Partial Content"},
        {301, "Moved Permanently"},
        {302, "Found"},
        {303, "See Other"},
        {304, "Not Modified"},
        {307, "Temporary Redirect"},
        {308, "Permanent Redirect"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {408, "Request Timeout"},
        {409, "Conflict"},
        {410, "Gone"},
        {411, "Length Required"},
        {413, "Content Too Large"},
        {414, "URI Too Long"},
        {415, "Unsupported Media Type"},
        {417, "Expectation Failed"},
        {422, "Unprocessable Content"},
        {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
        {505, "HTTP Version Not Supported"},
    };
    for (const auto& [code, text] : phrases) {
        if (code == status) {
            return text;
        }
    }
    return "Unknown";
}

} // namespace weft::http::detail
