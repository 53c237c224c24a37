#pragma once

// The stages of the request head parser, one file each, that head_parser::finish() (parser.cpp)
// runs in order over a complete head:
//   1. the request line and the request-target's form (parser_request_line.cpp),
//   2. the header fields, one line at a time, gathering what decides the rest
//      (parser_fields.cpp),
//   3. what the fields decide: the request's host, the body's framing, whether the connection
//      stays open (parser_framing.cpp).
// A stage returns the first violation it finds as a parse_error (status 0: none); finish() turns
// it into the parser's error. URI authority syntax, which stages 1 and 2 both check, is in
// parser_uri.cpp. Standard library only, like the rest of the parser.

#include "parser.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

// Private to libweft: hidden from its exported symbols, so that calls to it are direct (no PLT)
// and may be inlined.
#pragma GCC visibility push(hidden)

namespace weft::http::detail {

// ---- stage 1: the request line (parser_request_line.cpp)

/// method SP request-target SP HTTP-version CRLF, at p, and the request-target's form (RFC 9112
/// section 3.2) for that method; leaves p at the first field line. Sets target_authority for an
/// absolute-form target. The head ends with an empty line (parse() made sure), so every scan
/// stops inside it.
parse_error read_request_line(const char*& p, const char* end, request_head& out,
                              std::string_view& target_authority) noexcept;

// ---- stage 2: the header fields (parser_fields.cpp)

/// What the header fields say about framing, the connection and the host, gathered line by line.
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

/// The field lines at p, up to the empty line that ends the head (p is left on its CR): each is
/// added to out.fields and noted in facts.
parse_error read_fields(const char*& p, std::size_t max_headers, request_head& out,
                        field_facts& facts);

// ---- stage 3: what the fields decide (parser_framing.cpp)

/// The request's host (exactly one Host in HTTP/1.1, at most one in HTTP/1.0; an absolute-form
/// target's authority, target_authority when it has data, wins over it), the body's framing (RFC
/// 9112 section 6) and whether the connection stays open after the request (section 9.3).
parse_error decide(const field_facts& facts, std::string_view target_authority,
                   const parser_limits& lim, request_head& out) noexcept;

// ---- URI authorities (parser_uri.cpp)

/// uri-host [ ":" port ] (RFC 3986 section 3.2.2) with a host that is not empty and, when
/// port_required, a port that is not either. A port is at most five digits and 65535.
[[nodiscard]] bool valid_authority(std::string_view s, bool port_required = false) noexcept;

} // namespace weft::http::detail

#pragma GCC visibility pop
