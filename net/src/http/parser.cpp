#include "parser.hpp"

#include <array>
#include <cstring>
#include <optional>

namespace weft::http::detail {

namespace {

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
constexpr std::array<bool, 256> tchar_table = alnum_and("!#$%&'*+-.^_`|~");

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

bool all_tchar(std::string_view s) noexcept {
    for (char c : s) {
        if (!tchar_table[static_cast<unsigned char>(c)]) {
            return false;
        }
    }
    return !s.empty();
}

// ---- URI hosts (RFC 3986 section 3.2.2), for Host and absolute-form targets

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

// uri-host [ ":" port ] with a host that is not empty and, when port_required, a port that is
// not either. A port is at most five digits and 65535.
bool valid_authority(std::string_view s, bool port_required = false) noexcept {
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

// ---- request line and fields

// Content-Length = 1*DIGIT (RFC 9110 section 8.6); false when not that or beyond 2^64 - 1.
bool parse_length(std::string_view v, std::uint64_t& n) noexcept {
    n = 0;
    for (char c : v) {
        if (c < '0' || c > '9') {
            return false;
        }
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (n > (UINT64_MAX - d) / 10) {
            return false;
        }
        n = n * 10 + d;
    }
    return !v.empty();
}

// What the header fields say about framing, the connection and the host, gathered line by line.
struct field_facts {
    bool have_length = false;
    bool have_te = false;
    bool te_malformed = false;    // a coding that is not a token (with parameters)
    bool te_last_chunked = false; // the last coding so far is chunked
    bool te_other = false;        // a coding besides chunked
    std::size_t te_chunked = 0;   // how many times chunked was applied
    bool conn_close = false;
    bool conn_keep_alive = false;
    std::size_t hosts = 0;
    std::size_t host_index = 0; // of the (first) Host field in the head's fields
};

// One element of Transfer-Encoding: transfer-coding = token *( OWS ";" OWS transfer-parameter ).
void note_coding(std::string_view coding, field_facts& f) noexcept {
    if (iequal(coding, "chunked")) {
        ++f.te_chunked;
        f.te_last_chunked = true;
        return;
    }
    f.te_last_chunked = false;
    const std::string_view name = trim(coding.substr(0, coding.find(';')));
    if (!all_tchar(name) || iequal(name, "chunked")) { // chunked takes no parameters
        f.te_malformed = true;
    } else {
        f.te_other = true;
    }
}

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

// The request-target's form (RFC 9112 section 3.2): origin-form, absolute-form (http or https,
// with a valid authority and no userinfo), asterisk-form for OPTIONS only, authority-form for
// CONNECT only. weft is no proxy: a well-formed CONNECT is answered 501. Sets authority for an
// absolute-form target.
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

// Takes note of one header field: checks what weft interprets (Content-Length,
// Transfer-Encoding, Host, Expect) and gathers what decides the framing and the connection.
parse_error note_field(std::string_view name, std::string_view value, std::size_t index,
                       request_head& out, field_facts& f) noexcept {
    switch (lower(name.front())) {
    case 'c':
        if (iequal(name, "content-length")) {
            std::uint64_t n = 0;
            if (!parse_length(value, n)) {
                return {400, "invalid Content-Length"};
            }
            if (f.have_length && n != out.content_length) {
                return {400, "conflicting Content-Length fields"};
            }
            f.have_length = true;
            out.content_length = n;
        } else if (iequal(name, "connection")) {
            for_each_element(value, [&](std::string_view opt) {
                if (iequal(opt, "close")) {
                    f.conn_close = true;
                } else if (iequal(opt, "keep-alive")) {
                    f.conn_keep_alive = true;
                }
                return true;
            });
        }
        break;
    case 't':
        if (iequal(name, "transfer-encoding")) {
            f.have_te = true;
            for_each_element(value, [&](std::string_view coding) {
                note_coding(coding, f);
                return true;
            });
        }
        break;
    case 'h':
        if (iequal(name, "host")) {
            // Host = uri-host [ ":" port ], or empty when the target has no authority
            // (RFC 9112 section 3.2).
            if (!value.empty() && !valid_authority(value)) {
                return {400, "invalid Host"};
            }
            if (++f.hosts == 1) {
                f.host_index = index;
            }
        }
        break;
    case 'e':
        if (iequal(name, "expect")) {
            if (!iequal(value, "100-continue")) {
                return {417, "unsupported expectation"};
            }
            out.expect_continue = out.version_minor == 1;
        }
        break;
    default:
        break;
    }
    return {};
}

// The body's framing (RFC 9112 section 6): chunked must be the final transfer coding, applied
// once, and the only one weft decodes; Transfer-Encoding with Content-Length or in HTTP/1.0 is
// faulty framing. Every rejection closes the connection, so no byte after it is read as a request.
parse_error decide_framing(const field_facts& f, const parser_limits& lim,
                           request_head& out) noexcept {
    if (f.have_te) {
        if (out.version_minor == 0) {
            return {400, "Transfer-Encoding in an HTTP/1.0 request"};
        }
        if (f.have_length) {
            return {400, "both Transfer-Encoding and Content-Length"};
        }
        if (f.te_malformed) {
            return {400, "malformed Transfer-Encoding"};
        }
        if (!f.te_last_chunked) {
            return {400, "chunked is not the final transfer coding"};
        }
        if (f.te_chunked > 1) {
            return {400, "chunked applied more than once"};
        }
        if (f.te_other) {
            return {501, "unsupported transfer coding"};
        }
        out.framing = body_framing::chunked;
    } else if (f.have_length) {
        if (out.content_length > lim.max_body_size) {
            return {413, "body larger than the limit"};
        }
        out.framing = out.content_length > 0 ? body_framing::content_length : body_framing::none;
    }
    return {};
}

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
            // The head goes on: a CR not followed by LF fails now, not when the head ends
            // (finish() finds the ones of a head that ended in this call).
            if (!crs_paired(buf)) {
                return fail(400, "bare CR");
            }
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
    if (const parse_status st = request_line(p, end, out); st != parse_status::complete) {
        return st;
    }
    std::string_view target_authority;
    if (const parse_error e = check_target(out.method, out.target, target_authority);
        e.status != 0) {
        return fail(e.status, e.reason);
    }

    // ---- header fields: field-name ":" OWS field-value OWS CRLF, up to the empty line
    field_facts facts;
    for (;;) {
        if (*p == '\r') {
            if (p[1] != '\n') {
                return fail(400, "bare CR");
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
            return fail(400, *p == '\r' ? "bare CR" : "invalid character in header field value");
        }
        p += 2;
        const std::string_view value(value_at, static_cast<std::size_t>(value_end - value_at));
        if (out.fields.size() == limits_->max_headers) {
            return fail(431, "too many header fields");
        }
        out.fields.push_back({name, value});
        if (const parse_error e = note_field(name, value, out.fields.size() - 1, out, facts);
            e.status != 0) {
            return fail(e.status, e.reason);
        }
    }

    // ---- Host (RFC 9112 section 3.2): exactly one in HTTP/1.1, at most one in HTTP/1.0
    if (facts.hosts > 1) {
        return fail(400, "more than one Host");
    }
    if (out.version_minor == 1 && facts.hosts == 0) {
        return fail(400, "missing Host");
    }
    if (target_authority.data() != nullptr) {
        out.authority = target_authority; // the target's authority wins (section 3.2.2)
        if (facts.hosts == 1) {
            out.fields[facts.host_index].value = target_authority;
        }
    } else if (facts.hosts == 1) {
        out.authority = out.fields[facts.host_index].value;
    }
    if (const parse_error e = decide_framing(facts, *limits_, out); e.status != 0) {
        return fail(e.status, e.reason);
    }
    out.keep_alive =
        out.version_minor == 1 ? !facts.conn_close : (facts.conn_keep_alive && !facts.conn_close);
    return parse_status::complete;
}

// ---- request line: method SP request-target SP HTTP-version CRLF. Leaves p at the first field.
parse_status head_parser::request_line(const char*& p, const char* end, request_head& out) {
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
    // "HTTP/d.d" CRLF: another 1.x is served as 1.1 (RFC 9110 section 6.2), another major is 505.
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
    return parse_status::complete;
}

// One byte of a chunk extension: moves through the grammar's states, false where the byte has no
// place (weft interprets no extension, but one that is not well-formed is a framing error: a
// recipient that read it differently would see other chunks).
bool chunked_decoder::extension_byte(unsigned char c) noexcept {
    const bool ws = c == ' ' || c == '\t';
    const bool tchar = is_tchar(c);
    switch (state_) {
    case state::ext_bws: // BWS, then ';'
        state_ = ws ? state_ : c == ';' ? state::ext_name_start : state::failed;
        break;
    case state::ext_name_start: // BWS, then a name
        state_ = ws ? state_ : tchar ? state::ext_name : state::failed;
        break;
    case state::ext_name:
    case state::ext_name_bws: // the name, BWS, then '=', ';' or the line's end
        if (tchar && state_ == state::ext_name) {
            break;
        }
        state_ = ws                                       ? state::ext_name_bws
                 : c == '='                               ? state::ext_value_start
                 : c == ';'                               ? state::ext_name_start
                 : c == '\r' && state_ == state::ext_name ? state::size_lf
                                                          : state::failed;
        break;
    case state::ext_value_start: // BWS, then a token or a quoted-string
        state_ = ws         ? state_
                 : tchar    ? state::ext_token
                 : c == '"' ? state::ext_quoted
                            : state::failed;
        break;
    case state::ext_token:
        state_ = tchar       ? state_
                 : ws        ? state::ext_bws
                 : c == ';'  ? state::ext_name_start
                 : c == '\r' ? state::size_lf
                             : state::failed;
        break;
    case state::ext_quoted: // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
        if (c == '"') {
            state_ = state::ext_after_quoted;
        } else if (c == '\\') {
            state_ = state::ext_quoted_pair;
        } else if (!ws && (c < 0x21 || c == 0x7f)) {
            state_ = state::failed;
        }
        break;
    case state::ext_quoted_pair: // "\" ( HTAB / SP / VCHAR / obs-text )
        state_ = ws || (c >= 0x21 && c != 0x7f) ? state::ext_quoted : state::failed;
        break;
    case state::ext_after_quoted: // BWS, ';' or the line's end
        state_ = ws          ? state::ext_bws
                 : c == ';'  ? state::ext_name_start
                 : c == '\r' ? state::size_lf
                             : state::failed;
        break;
    default:
        state_ = state::failed;
        break;
    }
    return state_ != state::failed;
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
                state_ = c == ';' ? state::ext_name_start : state::ext_bws;
                ext_ = 1;
                ++i;
            } else if (c == '\r') {
                state_ = state::size_lf;
                ++i;
            } else {
                return fail(400, "invalid chunk size");
            }
            break;
        }
        case state::ext_bws:
        case state::ext_name_start:
        case state::ext_name:
        case state::ext_name_bws:
        case state::ext_value_start:
        case state::ext_token:
        case state::ext_quoted:
        case state::ext_quoted_pair:
        case state::ext_after_quoted:
            if (c != '\r' && ++ext_ > lim.max_chunk_extension) {
                return fail(400, "chunk extension too long");
            }
            if (!extension_byte(c)) {
                return fail(400, "malformed chunk extension");
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
