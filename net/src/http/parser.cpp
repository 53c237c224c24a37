#include "parser.hpp"

#include <array>
#include <cstring>

namespace weft::http::detail {

namespace {

// RFC 9110 tchar: digits, letters and !#$%&'*+-.^_`|~.
constexpr std::array<bool, 256> tchar_table = [] {
    std::array<bool, 256> t{};
    for (int c = '0'; c <= '9'; ++c) {
        t[static_cast<std::size_t>(c)] = true;
    }
    for (int c = 'a'; c <= 'z'; ++c) {
        t[static_cast<std::size_t>(c)] = true;
        t[static_cast<std::size_t>(c - 'a' + 'A')] = true;
    }
    for (unsigned char c : std::string_view("!#$%&'*+-.^_`|~")) {
        t[c] = true;
    }
    return t;
}();

// What a byte may be in a field value: a visible character or obs-text, optional whitespace
// (SP, HTAB), or neither (CR, LF, NUL and the other controls, DEL).
enum class field_byte : std::uint8_t { invalid, visible, ows };

constexpr std::array<field_byte, 256> field_value_table = [] {
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

bool iequal(std::string_view a, std::string_view b) noexcept {
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

std::string_view trim(std::string_view s) noexcept {
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

int hex_value(unsigned char c) noexcept {
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

constexpr std::size_t max_leading_blank_lines = 8;

} // namespace

bool is_tchar(unsigned char c) noexcept {
    return tchar_table[c];
}

parse_status head_parser::parse(std::string_view buf, request_head& out) {
    if (error_.status != 0) {
        return parse_status::error;
    }
    // Blank lines before the request line are ignored (RFC 9112 section 2.2), a few of them.
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

    const parser_limits& lim = *limits_;
    for (;;) {
        const void* hit = scanned_ < buf.size()
                              ? std::memchr(buf.data() + scanned_, '\n', buf.size() - scanned_)
                              : nullptr;
        if (hit == nullptr) {
            scanned_ = buf.size();
            const std::size_t partial = scanned_ - line_start_;
            if (lines_ == 0 && partial > lim.max_request_line + 1) {
                return fail(414, "request line too long");
            }
            if (scanned_ - skip_ > lim.max_header_bytes) {
                return fail(431, "request head too large");
            }
            return parse_status::need_more;
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

// The head is checked and split in one pass per line: each scan stops at the first byte its
// part may not hold, and that byte tells whether the part ended where it should. parse() made
// sure that every LF of the head follows a CR and that the head ends with an empty line, so every
// scan stops inside it (CR belongs to no part).
parse_status head_parser::finish(std::string_view head, request_head& out) {
    const parser_limits& lim = *limits_;
    const char* p = head.data();
    const char* const end = head.data() + head.size();

    // ---- request line: method SP request-target SP HTTP-version CRLF
    const char* const method = p;
    while (tchar_table[static_cast<unsigned char>(*p)]) {
        ++p;
    }
    if (*p != ' ' || p == method) {
        return fail(400, *p == '\r' ? "malformed request line" : "invalid method");
    }
    out.method = std::string_view(method, static_cast<std::size_t>(p - method));
    const char* const target = ++p;
    while (static_cast<unsigned char>(*p - 0x21) < 0x5e) { // visible ASCII
        ++p;
    }
    if (*p != ' ') {
        return fail(400,
                    *p == '\r' ? "malformed request line" : "invalid character in request target");
    }
    if (p == target) {
        return fail(400, "empty request target");
    }
    out.target = std::string_view(target, static_cast<std::size_t>(p - target));
    ++p;
    // "HTTP/d.d" CRLF
    if (end - p >= 10 && std::memcmp(p, "HTTP/1.1\r\n", 10) == 0) {
        out.version_minor = 1;
    } else {
        const std::string_view rest(p, static_cast<std::size_t>(end - p));
        const std::string_view version = rest.substr(0, rest.find("\r\n"));
        if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
            version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
            return fail(400, "malformed HTTP version");
        }
        if (version[5] != '1') {
            return fail(505, "HTTP version not supported");
        }
        out.version_minor = version[7] == '0' ? 0 : 1;
    }
    p += 10;

    const char first = out.target.front();
    if (first == '*') {
        if (out.target.size() != 1 || out.method != "OPTIONS") {
            return fail(400, "asterisk target outside OPTIONS");
        }
    } else if (first != '/') {
        const bool absolute =
            (out.target.size() > 7 && iequal(out.target.substr(0, 7), "http://")) ||
            (out.target.size() > 8 && iequal(out.target.substr(0, 8), "https://"));
        if (!absolute) {
            return fail(400, "unsupported request target form");
        }
    }

    // ---- header fields: field-name ":" OWS field-value OWS CRLF, up to the empty line
    bool have_length = false;
    bool have_te = false;
    bool te_chunked_last = false;
    bool te_unknown = false;
    bool conn_close = false;
    bool conn_keep_alive = false;
    std::size_t hosts = 0;
    for (;;) {
        if (*p == '\r') {
            if (p[1] != '\n') {
                return fail(400, "invalid header field name");
            }
            break; // the empty line that ends the head
        }
        const char* const name_at = p;
        while (tchar_table[static_cast<unsigned char>(*p)]) {
            ++p;
        }
        if (*p != ':' || p == name_at) {
            return fail(400,
                        *p == '\r' ? "header line without a colon" : "invalid header field name");
        }
        const std::string_view name(name_at, static_cast<std::size_t>(p - name_at));
        ++p;
        while (*p == ' ' || *p == '\t') {
            ++p;
        }
        const char* const value_at = p;
        const char* value_end = p; // past the last byte that is not OWS
        for (;;) {
            const field_byte k = field_value_table[static_cast<unsigned char>(*p)];
            if (k == field_byte::visible) {
                value_end = ++p;
            } else if (k == field_byte::ows) {
                ++p;
            } else {
                break;
            }
        }
        if (*p != '\r' || p[1] != '\n') {
            return fail(400, "invalid character in header field value");
        }
        p += 2;
        const std::string_view value(value_at, static_cast<std::size_t>(value_end - value_at));
        out.fields.push_back({name, value});
        if (out.fields.size() > lim.max_headers) {
            return fail(431, "too many header fields");
        }

        switch (lower(name.front())) {
        case 'c':
            if (iequal(name, "content-length")) {
                if (value.empty() || value.size() > 19) {
                    return fail(400, "invalid Content-Length");
                }
                std::uint64_t n = 0;
                for (char c : value) {
                    if (c < '0' || c > '9') {
                        return fail(400, "invalid Content-Length");
                    }
                    n = n * 10 + static_cast<std::uint64_t>(c - '0');
                }
                if (have_length && n != out.content_length) {
                    return fail(400, "conflicting Content-Length fields");
                }
                have_length = true;
                out.content_length = n;
            } else if (iequal(name, "connection")) {
                for_each_element(value, [&](std::string_view opt) {
                    if (iequal(opt, "close")) {
                        conn_close = true;
                    } else if (iequal(opt, "keep-alive")) {
                        conn_keep_alive = true;
                    }
                    return true;
                });
            }
            break;
        case 't':
            if (iequal(name, "transfer-encoding")) {
                have_te = true;
                for_each_element(value, [&](std::string_view coding) {
                    if (te_chunked_last) {
                        te_unknown = true; // chunked must be the last coding, applied once
                    }
                    if (iequal(coding, "chunked")) {
                        te_chunked_last = true;
                    } else {
                        te_unknown = true;
                    }
                    return true;
                });
            }
            break;
        case 'h':
            if (iequal(name, "host")) {
                ++hosts;
            }
            break;
        case 'e':
            if (iequal(name, "expect")) {
                if (!iequal(value, "100-continue")) {
                    return fail(417, "unsupported expectation");
                }
                out.expect_continue = out.version_minor == 1;
            }
            break;
        default:
            break;
        }
    }

    if (out.version_minor == 1 && hosts != 1) {
        return fail(400, hosts == 0 ? "missing Host" : "more than one Host");
    }
    if (have_te) {
        if (have_length) {
            return fail(400, "both Transfer-Encoding and Content-Length");
        }
        if (out.version_minor == 0) {
            return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
        }
        if (te_unknown) {
            return fail(501, "unsupported transfer coding");
        }
        if (!te_chunked_last) {
            return fail(400, "empty Transfer-Encoding");
        }
        out.framing = body_framing::chunked;
    } else if (have_length) {
        if (out.content_length > lim.max_body_size) {
            return fail(413, "body larger than the limit");
        }
        out.framing = out.content_length > 0 ? body_framing::content_length : body_framing::none;
    }
    out.keep_alive = out.version_minor == 1 ? !conn_close : (conn_keep_alive && !conn_close);
    return parse_status::complete;
}

parse_status chunked_decoder::feed(std::string_view in, std::size_t& consumed, std::string& body) {
    const parser_limits& lim = *limits_;
    std::size_t i = 0;
    consumed = 0;
    while (i < in.size()) {
        const auto c = static_cast<unsigned char>(in[i]);
        switch (state_) {
        case state::size: {
            const int v = hex_value(c);
            if (v >= 0) {
                if (digits_ >= 16) {
                    return fail(400, "chunk size too long");
                }
                size_ = size_ * 16 + static_cast<std::uint64_t>(v);
                ++digits_;
                ++i;
            } else if (digits_ == 0) {
                return fail(400, "missing chunk size");
            } else if (c == ';' || c == ' ' || c == '\t') {
                state_ = state::ext;
                ext_ = 0;
            } else if (c == '\r') {
                state_ = state::size_lf;
                ++i;
            } else {
                return fail(400, "invalid chunk size");
            }
            break;
        }
        case state::ext:
            if (c == '\r') {
                state_ = state::size_lf;
            } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return fail(400, "invalid character in chunk extension");
            } else if (++ext_ > lim.max_chunk_extension) {
                return fail(400, "chunk extension too long");
            }
            ++i;
            break;
        case state::size_lf:
            if (c != '\n') {
                return fail(400, "chunk size line without LF");
            }
            ++i;
            if (size_ > lim.max_body_size - total_) {
                return fail(413, "body larger than the limit");
            }
            state_ = size_ == 0 ? state::trailer_start : state::data;
            break;
        case state::data: {
            const std::size_t avail = in.size() - i;
            const std::size_t n =
                size_ < avail ? static_cast<std::size_t>(size_) : avail; // size_ fits: <= avail
            body.append(in.data() + i, n);
            i += n;
            size_ -= n;
            total_ += n;
            if (size_ == 0) {
                state_ = state::data_cr;
            }
            break;
        }
        case state::data_cr:
            if (c != '\r') {
                return fail(400, "chunk data longer than its size");
            }
            state_ = state::data_lf;
            ++i;
            break;
        case state::data_lf:
            if (c != '\n') {
                return fail(400, "chunk data without CRLF");
            }
            state_ = state::size;
            size_ = 0;
            digits_ = 0;
            ++i;
            break;
        case state::trailer_start:
            if (c == '\r') {
                state_ = state::end_lf;
                ++i;
                break;
            }
            if (!is_tchar(c)) {
                return fail(400, "invalid trailer field");
            }
            state_ = state::trailer_line;
            colon_ = false;
            line_bytes_ = 0;
            break;
        case state::trailer_line:
            if (c == '\r') {
                if (!colon_) {
                    return fail(400, "trailer line without a colon");
                }
                state_ = state::trailer_lf;
            } else if (!colon_ && c == ':') {
                colon_ = true;
            } else if (!colon_ ? !is_tchar(c) : ((c < 0x20 && c != '\t') || c == 0x7f)) {
                return fail(400, "invalid character in trailer field");
            }
            if (++trailer_bytes_ > lim.max_header_bytes) {
                return fail(431, "trailers too large");
            }
            ++line_bytes_;
            ++i;
            break;
        case state::trailer_lf:
            if (c != '\n') {
                return fail(400, "trailer line without LF");
            }
            state_ = state::trailer_start;
            ++i;
            break;
        case state::end_lf:
            if (c != '\n') {
                return fail(400, "chunked body end without LF");
            }
            ++i;
            state_ = state::done;
            consumed = i;
            return parse_status::complete;
        case state::done:
            consumed = i;
            return parse_status::complete;
        case state::failed:
            return parse_status::error;
        }
    }
    consumed = i;
    if (state_ == state::done) {
        return parse_status::complete;
    }
    if (state_ == state::failed) {
        return parse_status::error;
    }
    return parse_status::need_more;
}

std::string_view reason_phrase(int status) noexcept {
    switch (status) {
    case 100:
        return "Continue";
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

} // namespace weft::http::detail
