// Stage 2 of the request head parser: the header fields (RFC 9112 section 5), field-name ":" OWS
// field-value OWS CRLF, up to the empty line that ends the head. Each line is split into views
// and checked in one pass; the fields weft interprets (Content-Length, Transfer-Encoding,
// Connection, Host, Expect) are checked as they come and noted in field_facts, from which stage 3
// (parser_framing.cpp) decides the host, the framing and the connection.

#include "parser_stages.hpp"
#include "parser_text.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace weft::http::detail {

namespace {

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

// Content-Length: digits only, and every one the same.
parse_error note_length(std::string_view value, request_head& out, field_facts& f) noexcept {
    std::uint64_t n = 0;
    if (!parse_length(value, n)) {
        return {400, "invalid Content-Length"};
    }
    if (f.have_length && n != out.content_length) {
        return {400, "conflicting Content-Length fields"};
    }
    f.have_length = true;
    out.content_length = n;
    return {};
}

// Takes note of one header field: checks what weft interprets (Content-Length,
// Transfer-Encoding, Host, Expect) and gathers what decides the framing and the connection.
parse_error note_field(std::string_view name, std::string_view value, std::size_t index,
                       request_head& out, field_facts& f) noexcept {
    switch (lower(name.front())) {
    case 'c':
        if (iequal(name, "content-length")) {
            return note_length(value, out, f);
        }
        if (iequal(name, "connection")) {
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

// One field line at p (not the empty one), split into field; leaves p at the next line. The
// value's views leave out the optional whitespace around it.
parse_error read_field_line(const char*& p, field_view& field) noexcept {
    const char* const name_at = p;
    while (tchar_table[static_cast<unsigned char>(*p)]) {
        ++p;
    }
    if (*p != ':' || p == name_at) {
        return {400, *p == '\r' ? "header line without a colon" : "invalid header field name"};
    }
    field.name = std::string_view(name_at, static_cast<std::size_t>(p - name_at));
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
        return {400, *p == '\r' ? "bare CR" : "invalid character in header field value"};
    }
    p += 2;
    field.value = std::string_view(value_at, static_cast<std::size_t>(value_end - value_at));
    return {};
}

} // namespace

parse_error read_fields(const char*& p, std::size_t max_headers, request_head& out,
                        field_facts& facts) {
    for (;;) {
        if (*p == '\r') {
            if (p[1] != '\n') {
                return {400, "bare CR"};
            }
            return {}; // the empty line that ends the head
        }
        field_view field;
        if (const parse_error e = read_field_line(p, field); e.status != 0) {
            return e;
        }
        if (out.fields.size() == max_headers) {
            return {431, "too many header fields"};
        }
        out.fields.push_back(field);
        if (const parse_error e =
                note_field(field.name, field.value, out.fields.size() - 1, out, facts);
            e.status != 0) {
            return e;
        }
    }
}

} // namespace weft::http::detail
