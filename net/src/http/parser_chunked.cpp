// The chunked body decoder (RFC 9112 section 7.1): a byte state machine that can stop and resume
// anywhere, so a body is decoded as its reads arrive. Chunk extensions are checked against their
// grammar and skipped; trailer fields are checked and dropped. Data is appended to the body in
// runs, not byte by byte. The states are listed, with what each expects, in parser.hpp.

#include "parser.hpp"
#include "parser_text.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace weft::http::detail {

// One byte of a chunk extension: moves through the grammar's states, false where the byte has no
// place (weft interprets no extension, but one that is not well-formed is a framing error: a
// recipient that read it differently would see other chunks).
bool chunked_decoder::extension_byte(unsigned char c) noexcept {
    const bool ws = c == ' ' || c == '\t';
    const bool tchar = tchar_table[c];
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

// A byte of the chunk-size line: a hex digit of the size, or what ends the size (an extension,
// or the line's CR).
chunked_decoder::step chunked_decoder::size_byte(unsigned char c) noexcept {
    const int v = hex_value(c);
    if (v >= 0) {
        if (digits_ >= 16) {
            return failed(400, "chunk size too long");
        }
        size_ = size_ * 16 + static_cast<std::uint64_t>(v);
        ++digits_;
    } else if (digits_ == 0) {
        return failed(400, "missing chunk size");
    } else if (c == ';' || c == ' ' || c == '\t') {
        state_ = c == ';' ? state::ext_name_start : state::ext_bws;
        ext_ = 1;
    } else if (c == '\r') {
        state_ = state::size_lf;
    } else {
        return failed(400, "invalid chunk size");
    }
    return step::next;
}

// A byte of a chunk extension, bounded by max_chunk_extension.
chunked_decoder::step chunked_decoder::extension(unsigned char c) noexcept {
    if (c != '\r' && ++ext_ > limits_->max_chunk_extension) {
        return failed(400, "chunk extension too long");
    }
    if (!extension_byte(c)) {
        return failed(400, "malformed chunk extension");
    }
    return step::next;
}

// The LF of a line that is not a trailer: after the size line (then the data, or the trailers
// after the last chunk), after a chunk's data (CR, then LF), or the very last one.
chunked_decoder::step chunked_decoder::line_end(unsigned char c) noexcept {
    switch (state_) {
    case state::size_lf:
        if (c != '\n') {
            return failed(400, "chunk size line without LF");
        }
        if (size_ > limits_->max_body_size - total_) {
            return failed(413, "body larger than the limit");
        }
        state_ = size_ == 0 ? state::trailer_start : state::data;
        break;
    case state::data_cr:
        if (c != '\r') {
            return failed(400, "chunk data longer than its size");
        }
        state_ = state::data_lf;
        break;
    case state::data_lf:
        if (c != '\n') {
            return failed(400, "chunk data without CRLF");
        }
        state_ = state::size;
        size_ = 0;
        digits_ = 0;
        break;
    default: // state::end_lf
        if (c != '\n') {
            return failed(400, "chunked body end without LF");
        }
        state_ = state::done;
        break;
    }
    return step::next;
}

// A byte of the trailer section: field lines checked as name ":" value, bounded by
// max_header_bytes in all, up to the empty line.
chunked_decoder::step chunked_decoder::trailer_byte(unsigned char c) noexcept {
    switch (state_) {
    case state::trailer_start:
        if (c == '\r') {
            state_ = state::end_lf;
            return step::next;
        }
        if (!tchar_table[c]) {
            return failed(400, "invalid trailer field");
        }
        state_ = state::trailer_line;
        colon_ = false;
        line_bytes_ = 0;
        return step::stay; // the line's first byte, read again in trailer_line
    case state::trailer_line:
        if (c == '\r') {
            if (!colon_) {
                return failed(400, "trailer line without a colon");
            }
            state_ = state::trailer_lf;
        } else if (!colon_ && c == ':') {
            colon_ = true;
        } else if (!colon_ ? !tchar_table[c] : ((c < 0x20 && c != '\t') || c == 0x7f)) {
            return failed(400, "invalid character in trailer field");
        }
        if (++trailer_bytes_ > limits_->max_header_bytes) {
            return failed(431, "trailers too large");
        }
        ++line_bytes_;
        return step::next;
    default: // state::trailer_lf
        if (c != '\n') {
            return failed(400, "trailer line without LF");
        }
        state_ = state::trailer_start;
        return step::next;
    }
}

// Chunk data: as much of the current chunk as in holds, appended at once; returns how much.
std::size_t chunked_decoder::data(std::string_view in, std::string& body) {
    const std::size_t n =
        size_ < in.size() ? static_cast<std::size_t>(size_) : in.size(); // size_ fits: < in.size()
    body.append(in.data(), n);
    size_ -= n;
    total_ += n;
    if (size_ == 0) {
        state_ = state::data_cr;
    }
    return n;
}

parse_status chunked_decoder::feed(std::string_view in, std::size_t& consumed, std::string& body) {
    std::size_t i = 0;
    consumed = 0;
    while (i < in.size()) {
        const auto c = static_cast<unsigned char>(in[i]);
        step s = step::next;
        switch (state_) {
        case state::size:
            s = size_byte(c);
            break;
        case state::ext_bws:
        case state::ext_name_start:
        case state::ext_name:
        case state::ext_name_bws:
        case state::ext_value_start:
        case state::ext_token:
        case state::ext_quoted:
        case state::ext_quoted_pair:
        case state::ext_after_quoted:
            s = extension(c);
            break;
        case state::data:
            i += data(in.substr(i), body);
            continue;
        case state::size_lf:
        case state::data_cr:
        case state::data_lf:
        case state::end_lf:
            s = line_end(c);
            break;
        case state::trailer_start:
        case state::trailer_line:
        case state::trailer_lf:
            s = trailer_byte(c);
            break;
        case state::done:
            consumed = i;
            return parse_status::complete;
        case state::failed:
            return parse_status::error;
        }
        if (s == step::failed) {
            return parse_status::error;
        }
        if (s == step::next) {
            ++i;
        }
        if (state_ == state::done) { // bytes after it belong to the next request
            consumed = i;
            return parse_status::complete;
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

} // namespace weft::http::detail
