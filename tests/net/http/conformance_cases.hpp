#pragma once

// The HTTP/1.1 request conformance corpus: raw requests with the verdict weft gives each, built
// from RFC 9112 (message syntax), RFC 9110 (semantics), RFC 3986 (hosts) and published
// request-smuggling techniques (CL.TE, TE.CL, TE.TE obfuscation, chunk-extension and line
// terminator discrepancies). test_conformance.cpp runs every case against the parser alone, fed
// whole and byte by byte, and the complete ones end to end against a running server.
//
// The cases assume the limits of corpus_limits below (small, so that limit cases stay
// short); the server under test is given the same ones.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace weft::testing::http {

/// status of a case that is a valid prefix: the parser waits for more (a server answers 408 when
/// its timeout ends the wait).
inline constexpr int incomplete = -1;

/// The limits the corpus assumes (the parser's and the server's).
struct corpus_limits {
    std::size_t max_request_line = 256;
    std::size_t max_header_bytes = 2048;
    std::size_t max_headers = 20;
    std::uint64_t max_body_size = 1000;
    std::size_t max_chunk_extension = 1024; // the parser's default (the server has no option)
};

/// One raw request and its verdict.
struct verdict_case {
    std::string raw;
    int status = 0; ///< 0: accepted; incomplete; else the status of the rejection
    // Accepted cases: what the parser hands on (the body decoded).
    std::string method;
    std::string target;
    std::string body;
    std::optional<std::string> authority; ///< checked when set
    std::optional<bool> keep_alive;       ///< checked when set
    int served_status = 200; ///< accepted: what the test server answers (404/405 off its routes)
    bool end_to_end = true;  ///< also sent to a running server
    const char* why = "";    ///< the rule or the technique
};

inline verdict_case accept(std::string raw, std::string method, std::string target,
                           std::string body, const char* why) {
    verdict_case c;
    c.raw = std::move(raw);
    c.method = std::move(method);
    c.target = std::move(target);
    c.body = std::move(body);
    c.why = why;
    return c;
}

inline verdict_case reject(std::string raw, int status, const char* why) {
    verdict_case c;
    c.raw = std::move(raw);
    c.status = status;
    c.why = why;
    return c;
}

inline verdict_case with_authority(verdict_case c, std::string authority) {
    c.authority = std::move(authority);
    return c;
}

inline verdict_case with_keep_alive(verdict_case c, bool keep) {
    c.keep_alive = keep;
    return c;
}

inline verdict_case served(verdict_case c, int status) {
    c.served_status = status;
    return c;
}

inline verdict_case parser_only(verdict_case c) {
    c.end_to_end = false;
    return c;
}

/// Every case. The test server routes GET/POST/PUT/DELETE /echo and GET / (an echo of the
/// method, Host and body).
std::vector<verdict_case> conformance_cases();

} // namespace weft::testing::http
