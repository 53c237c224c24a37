#pragma once

// What the parts of `weft fetch` share: the command line as parsed (fetch_options), the request
// every URL gets (request_spec, built from -X, -H, -d), and what each URL and each pass over the
// list came to (result, run_result).

#include <weft/net/http/client.hpp>
#include <weft/net/http/headers.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace weft::tools::fetch {

/// The command line, as CLI11 left it (before the inputs are checked).
struct fetch_options {
    std::vector<std::string> urls;
    std::string file;
    bool sequential = false;
    bool compare = false;
    bool json = false;
    bool demo = false;
    bool insecure = false;
    bool quiet = false;
    bool verbose = false;
    bool follow = false; ///< -L
    int max_redirs = 10;
    int concurrency = 16;
    double timeout_s = 30;
    std::size_t max_response_bytes = http::client_options{}.max_response_bytes;
    std::size_t max_header_bytes = http::client_options{}.max_header_bytes;
    std::string method;              ///< -X; empty: GET, or POST with -d
    std::vector<std::string> header; ///< -H 'Name: value', as given
    std::vector<std::string> data;   ///< -d text or @file, as given
    std::string output;              ///< -o FILE
    int demo_pages = 6;
    int demo_delay_ms = 200;
};

/// The request sent to every URL.
struct request_spec {
    std::string method = "GET";
    http::headers headers;
    std::string body;
};

/// One URL's outcome.
struct result {
    std::string url;
    int status = 0;
    std::size_t bytes = 0;
    double seconds = 0;
    std::string error; ///< empty on success
    std::string error_kind;
    bool done = false; ///< finished, in success or failure (false: never started, or interrupted)
};

/// One pass over the list.
struct run_result {
    std::vector<result> results;
    double seconds = 0;
    int concurrency = 1;
};

} // namespace weft::tools::fetch
