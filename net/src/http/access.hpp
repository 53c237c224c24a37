#pragma once

// The server's private access to the public request and response types (each names one of these
// structs its friend): request_access points a request at a parsed head's views into the
// connection's read buffer, moves those views when the buffer moves, and fills the body and the
// route parameters; next_access makes a middleware's next; response_access reads a handler's
// response without settling it (no copy of its Content-Type or body). Header-only: the session
// calls them once or more per request.

#include "parser.hpp"

#include <weft/net/http/middleware.hpp>
#include <weft/net/http/request.hpp>
#include <weft/net/http/server_response.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::http::detail {

/// Fills a request from a parsed head (the server's private access).
struct request_access {
    /// Points the request at the head's views (into the connection's read buffer).
    static void fill(request& r, const request_head& h) {
        r.method_ = h.method;
        r.target_ = h.target;
        std::string_view t = h.target;
        if (!t.empty() && t.front() != '/' && t.front() != '*') {
            // absolute-form (checked by the parser): drop scheme and authority; the path starts
            // right after the authority, so a '/' in the query is never taken for it.
            t.remove_prefix(t.find("://") + 3 + h.authority.size());
        }
        const auto q = t.find('?');
        r.path_ = t.substr(0, q);
        if (r.path_.empty()) {
            r.path_ = "/"; // http://h?x: an empty path is "/" (RFC 3986 section 6.2.3)
        }
        r.query_ = q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
        std::vector<header_view>& fields = r.headers_.fields_;
        fields.resize(h.fields.size());
        for (std::size_t i = 0; i < fields.size(); ++i) {
            fields[i] = {h.fields[i].name, h.fields[i].value};
        }
        r.version_minor_ = h.version_minor;
        r.keep_alive_ = h.keep_alive;
    }
    /// Forgets the previous request (its views point into bytes about to be reused).
    static void reset(request& r) noexcept {
        r.method_ = {};
        r.target_ = {};
        r.path_ = {};
        r.query_ = {};
        r.route_ = {};
        r.headers_.fields_.clear();
        if (!r.body_.empty()) {
            r.body_.clear();
        }
        if (!r.params_.empty()) {
            r.params_.clear();
        }
    }
    /// The head's bytes moved from [from, from + size) to to: moves the views with them.
    static void rebase(request& r, const char* from, std::size_t size, const char* to) noexcept {
        const auto lo = reinterpret_cast<std::uintptr_t>(from);
        const auto move = [&](std::string_view& v) {
            const auto at = reinterpret_cast<std::uintptr_t>(v.data());
            if (v.data() != nullptr && at >= lo && at <= lo + size) {
                v = std::string_view(to + (at - lo), v.size());
            }
        };
        move(r.method_);
        move(r.target_);
        move(r.path_);
        move(r.query_);
        for (header_view& f : r.headers_.fields_) {
            move(f.name);
            move(f.value);
        }
    }
    static void set_route(request& r, std::string_view pattern) noexcept { r.route_ = pattern; }
    static void set_remote(request& r, std::string remote) { r.remote_ = std::move(remote); }
    static std::string& body(request& r) noexcept { return r.body_; }
    static std::vector<std::pair<std::string, std::string>>& params(request& r) noexcept {
        return r.params_;
    }
};

/// What the server reads of a response without settling it (no Content-Type copy, no body
/// copy).
struct response_access {
    /// The Content-Type kept inline, or empty.
    static std::string_view inline_type(const server_response& r) noexcept {
        return {r.type_, r.type_size_};
    }
    static const http::headers& fields(const server_response& r) noexcept { return r.headers_; }
    static std::string_view body(const server_response& r) noexcept {
        return r.borrowed_.data() != nullptr ? r.borrowed_ : std::string_view(r.body_);
    }
    /// The file body, or null.
    static const file_body* file(const server_response& r) noexcept { return r.file_.get(); }
};

/// Makes the `next` that a middleware receives: run(self, req, step) runs the chain's step.
struct next_access {
    static next make(next::run_fn run, void* self, std::size_t step) noexcept {
        return {run, self, step};
    }
};

} // namespace weft::http::detail
