#pragma once

// weft's HTTP/1.1 request parser: incremental, zero-copy, strict and bounded. Its files, parser*,
// depend on the standard library only, so a fuzzer can compile them alone
// (tests/net/http/fuzz/run.sh).
//
// The head parser is handed every unconsumed byte of the connection's read buffer each time more
// arrives; it remembers how far it has already checked, so feeding a request byte by byte costs
// O(n) in all. Once the blank line that ends the head is in the buffer it splits the head into
// views into that buffer (no copy) and decides the body framing. The chunked decoder is a byte
// state machine that can stop and resume anywhere.
//
// Where each part lives: the head parser's driver in parser.cpp, its stages (request line, fields,
// what the fields decide) in parser_request_line.cpp, parser_fields.cpp and parser_framing.cpp
// (declared in parser_stages.hpp), URI authorities in parser_uri.cpp, the byte tables they share
// in parser_text.hpp, and the chunked decoder in parser_chunked.cpp.
//
// Where RFC 9112 lets a recipient choose between accepting a deviation and rejecting it, the
// parser rejects (bare LF or CR, obs-fold, Transfer-Encoding with Content-Length, ...): two
// parsers that frame a request differently are how request smuggling works. The rules, and the
// corpus that checks them, are in docs/http-request-rules.md.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weft::http::detail {

/// Bounds on what a request may hold; a violation is answered with the status below and the
/// connection is closed.
struct parser_limits {
    /// Longest request line (method, target, version), without its CRLF: else 414.
    std::size_t max_request_line = 8 * 1024;
    /// Largest head (request line and every header line): else 431. Also bounds chunked trailers.
    std::size_t max_header_bytes = 64 * 1024;
    /// Most header fields: else 431.
    std::size_t max_headers = 100;
    /// Largest body, Content-Length or chunked: else 413.
    std::uint64_t max_body_size = 8 * 1024 * 1024;
    /// Longest chunk extension on one chunk-size line: else 400.
    std::size_t max_chunk_extension = 1024;
};

/// How the request's body is framed.
enum class body_framing : std::uint8_t { none, content_length, chunked };

/// One header field, as views into the read buffer.
struct field_view {
    std::string_view name;
    std::string_view value;
};

/// A parsed request head: views into the buffer it was parsed from, valid until that buffer moves.
struct request_head {
    std::string_view method;
    std::string_view target;
    /// The host (and port) the request is for: an absolute-form target's authority, else the Host
    /// field's value; empty when neither names one (an HTTP/1.0 request without Host, or an empty
    /// Host). For an absolute-form target the Host field's value in `fields` is this view too:
    /// the target's authority wins over the received Host (RFC 9112 section 3.2.2).
    std::string_view authority;
    int version_minor = 1; ///< 0 or 1 (HTTP/1.0, HTTP/1.1)
    std::vector<field_view> fields;
    body_framing framing = body_framing::none;
    std::uint64_t content_length = 0;
    bool keep_alive = true;
    bool expect_continue = false;
    std::size_t consumed = 0; ///< bytes of the buffer the head took (leading blank lines included)

    void clear() noexcept {
        method = {};
        target = {};
        authority = {};
        version_minor = 1;
        fields.clear();
        framing = body_framing::none;
        content_length = 0;
        keep_alive = true;
        expect_continue = false;
        consumed = 0;
    }
};

/// What a parse step reached.
enum class parse_status : std::uint8_t { need_more, complete, error };

/// A protocol violation: the status to answer and a short reason for the log.
struct parse_error {
    int status = 0;
    const char* reason = "";
};

/// Parses one request head at a time; reset() before the next request.
class head_parser {
public:
    explicit head_parser(const parser_limits& limits) noexcept : limits_(&limits) {}

    /// Examines buf, every unconsumed byte of the request so far (the same prefix each call, plus
    /// whatever arrived since). On complete, out holds the head and out.consumed says how many
    /// bytes of buf it took; on error, error() says why.
    parse_status parse(std::string_view buf, request_head& out);

    /// The violation behind the last error.
    [[nodiscard]] const parse_error& error() const noexcept { return error_; }

    /// True once some byte of a request (not a leading blank line) has been seen.
    [[nodiscard]] bool started() const noexcept { return started_; }

    /// Forgets the request, for the next one.
    void reset() noexcept {
        scanned_ = 0;
        cr_checked_ = 0;
        line_start_ = 0;
        lines_ = 0;
        skip_ = 0;
        started_ = false;
        error_ = {};
    }

private:
    parse_status fail(int status, const char* reason) noexcept {
        error_ = {status, reason};
        return parse_status::error;
    }
    // The private steps are hidden from libweft's exported symbols (the tests use the class), so
    // that calls to them are direct; the inline ones are parse()'s, defined beside it in
    // parser.cpp (no other file calls them), and folded into it.
    inline parse_status skip_blank_lines(std::string_view buf) noexcept;
    inline parse_status line_unfinished(std::string_view buf) noexcept;
    [[gnu::visibility("hidden")]] parse_status finish(std::string_view head, request_head& out);
    [[gnu::visibility("hidden")]] bool crs_paired(std::string_view buf) noexcept;

    const parser_limits* limits_;
    std::size_t scanned_ = 0;    // bytes of buf already checked
    std::size_t cr_checked_ = 0; // bytes of buf already searched for a CR without its LF
    std::size_t line_start_ = 0; // where the current line begins
    std::size_t lines_ = 0;      // complete lines seen (request line included)
    std::size_t skip_ = 0;       // leading blank lines' bytes
    bool started_ = false;
    parse_error error_;
};

/// Decodes a chunked body (RFC 9112 section 7.1): chunk extensions are checked and skipped,
/// trailer fields are checked and dropped.
class chunked_decoder {
public:
    explicit chunked_decoder(const parser_limits& limits) noexcept : limits_(&limits) {}

    /// Decodes from in, appending the data to body; consumed says how many bytes of in it used.
    /// complete means the last chunk and its trailers ended (bytes after it belong to the next
    /// request).
    parse_status feed(std::string_view in, std::size_t& consumed, std::string& body);

    [[nodiscard]] const parse_error& error() const noexcept { return error_; }

    void reset() noexcept {
        state_ = state::size;
        size_ = 0;
        digits_ = 0;
        ext_ = 0;
        trailer_bytes_ = 0;
        line_bytes_ = 0;
        total_ = 0;
        colon_ = false;
        error_ = {};
    }

private:
    // The chunk-size line: chunk-size *( BWS ";" BWS ext-name [ BWS "=" BWS ext-value ] ) CRLF,
    // ext-value a token or a quoted-string (RFC 9112 section 7.1.1).
    enum class state : std::uint8_t {
        size,
        ext_bws,          // whitespace after the size or a value: more, then ';'
        ext_name_start,   // after ';': whitespace, then a token
        ext_name,         // in the name: token bytes, whitespace, '=', ';' or CR
        ext_name_bws,     // whitespace after the name: more, then '=' or ';'
        ext_value_start,  // after '=': whitespace, then a token or '"'
        ext_token,        // in a token value: token bytes, whitespace, ';' or CR
        ext_quoted,       // in a quoted-string value
        ext_quoted_pair,  // after a backslash in a quoted-string
        ext_after_quoted, // after a quoted-string: whitespace, ';' or CR
        size_lf,
        data,
        data_cr,
        data_lf,
        trailer_start,
        trailer_line,
        trailer_lf,
        end_lf,
        done,
        failed,
    };

    // What one byte did: moved on past it, changed the state without taking it (it is read
    // again in the new state), or failed (error_ says why).
    enum class step : std::uint8_t { next, stay, failed };

    // feed()'s steps, one per group of states: defined beside it in parser_chunked.cpp (no other
    // file calls them) and folded into it, so a byte costs no call. extension_byte() is hidden
    // from libweft's exported symbols, as head_parser's steps are.
    inline step size_byte(unsigned char c) noexcept;
    inline step extension(unsigned char c) noexcept;
    [[gnu::visibility("hidden")]] bool extension_byte(unsigned char c) noexcept;
    inline step line_end(unsigned char c) noexcept;
    inline step trailer_byte(unsigned char c) noexcept;
    inline std::size_t data(std::string_view in, std::string& body);
    step failed(int status, const char* reason) noexcept {
        error_ = {status, reason};
        state_ = state::failed;
        return step::failed;
    }

    const parser_limits* limits_;
    state state_ = state::size;
    std::uint64_t size_ = 0;
    std::size_t digits_ = 0;
    std::size_t ext_ = 0;
    std::size_t trailer_bytes_ = 0;
    std::size_t line_bytes_ = 0;
    std::uint64_t total_ = 0;
    bool colon_ = false;
    parse_error error_;
};

/// The reason phrase of a status code ("Not Found"), or "Unknown".
[[nodiscard]] std::string_view reason_phrase(int status) noexcept;

/// True for a token character (RFC 9110 tchar).
[[nodiscard]] bool is_tchar(unsigned char c) noexcept;

} // namespace weft::http::detail
