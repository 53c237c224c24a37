// Stage 3 of the request head parser: what the header fields, gathered by stage 2
// (parser_fields.cpp), decide once the whole head is read: the host the request is for (RFC 9112
// section 3.2), how its body is framed (section 6) and whether the connection stays open
// (section 9.3). Every rejection closes the connection, so no byte after it is read as a request.

#include "parser_stages.hpp"

#include <string_view>

namespace weft::http::detail {

namespace {

// Exactly one Host in HTTP/1.1, at most one in HTTP/1.0; the target's authority wins over it.
parse_error decide_host(const field_facts& facts, std::string_view target_authority,
                        request_head& out) noexcept {
    if (facts.hosts > 1) {
        return {400, "more than one Host"};
    }
    if (out.version_minor == 1 && facts.hosts == 0) {
        return {400, "missing Host"};
    }
    if (target_authority.data() != nullptr) {
        out.authority = target_authority; // the target's authority wins (section 3.2.2)
        if (facts.hosts == 1) {
            out.fields[facts.host_index].value = target_authority;
        }
    } else if (facts.hosts == 1) {
        out.authority = out.fields[facts.host_index].value;
    }
    return {};
}

// Chunked must be the final transfer coding, applied once, and the only one weft decodes;
// Transfer-Encoding with Content-Length or in HTTP/1.0 is faulty framing.
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

parse_error decide(const field_facts& facts, std::string_view target_authority,
                   const parser_limits& lim, request_head& out) noexcept {
    if (const parse_error e = decide_host(facts, target_authority, out); e.status != 0) {
        return e;
    }
    if (const parse_error e = decide_framing(facts, lim, out); e.status != 0) {
        return e;
    }
    // HTTP/1.1 stays open unless the client says close; HTTP/1.0 closes unless it says
    // keep-alive.
    out.keep_alive =
        out.version_minor == 1 ? !facts.conn_close : (facts.conn_keep_alive && !facts.conn_close);
    return {};
}

} // namespace weft::http::detail
