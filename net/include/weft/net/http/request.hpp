#pragma once

#include <weft/net/http/headers.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::http {

namespace detail {
struct request_access;
} // namespace detail

/// One header field of a request: views into the connection's read buffer, valid as long as the
/// request is.
struct header_view {
    std::string_view name;
    std::string_view value;
};

/// A request's header fields in order of arrival, as views into the connection's read buffer
/// (no copy), with the lookups of http::headers (case-insensitive names; repeated fields stay
/// separate entries, get() returns the first).
class request_headers : public detail::header_lookups<request_headers> {
public:
    using const_iterator = std::vector<header_view>::const_iterator;

    /// How many fields (repeated ones counted each).
    [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }
    /// Whether there is no field.
    [[nodiscard]] bool empty() const noexcept { return fields_.empty(); }
    /// The first field.
    [[nodiscard]] const_iterator begin() const noexcept { return fields_.begin(); }
    /// Past the last field.
    [[nodiscard]] const_iterator end() const noexcept { return fields_.end(); }

    /// An owned copy of the fields, valid after the request is gone.
    [[nodiscard]] http::headers to_headers() const {
        http::headers out;
        for (const header_view& f : fields_) {
            out.add(std::string(f.name), std::string(f.value));
        }
        return out;
    }
    /// An owned copy (as to_headers()): `http::headers h = req.headers();` keeps compiling.
    operator http::headers() const { return to_headers(); }

private:
    friend struct detail::request_access;

    std::vector<header_view> fields_;
};

/// An HTTP request as the server hands it to a handler: the request line, the header fields, the
/// whole body (read before the handler runs, within the server's body limit) and the path
/// parameters the matching route captured.
///
/// The method, target, path, query and header fields are views into the connection's read
/// buffer, not copies: they stay valid until the handler's task completes (across its co_awaits;
/// the connection reads no further request meanwhile) and, for a streamed response, until its
/// body producer ends. Copy what must outlive that (std::string(req.path()),
/// req.headers().to_headers()).
class request {
public:
    request() = default;

    /// The method as sent ("GET", "POST"; methods are case-sensitive).
    [[nodiscard]] std::string_view method() const noexcept { return method_; }
    /// The request target as sent ("/items/7?full=1").
    [[nodiscard]] std::string_view target() const noexcept { return target_; }
    /// The path of the target, still percent-encoded ("/items/7"); for an absolute-form target
    /// ("http://host/items/7") the path part.
    [[nodiscard]] std::string_view path() const noexcept { return path_; }
    /// The query string without its '?' ("full=1"), still percent-encoded; empty when none.
    [[nodiscard]] std::string_view query() const noexcept { return query_; }
    /// The first query parameter called name, percent-decoded ('+' is a space), or nullopt.
    [[nodiscard]] std::optional<std::string> query_param(std::string_view name) const;
    /// Every query parameter in order, names and values percent-decoded.
    [[nodiscard]] std::vector<std::pair<std::string, std::string>> query_params() const;
    /// The path parameter called name that the route captured ("{id}"), percent-decoded; empty
    /// when the route has no such parameter.
    [[nodiscard]] std::string_view param(std::string_view name) const noexcept;
    /// The pattern of the route that matched ("/items/{id}"), as given to server::route(); empty
    /// while none has (before the router ran: in a middleware before `co_await next(req)`; for a
    /// 404 or 405).
    [[nodiscard]] std::string_view route() const noexcept { return route_; }
    /// Every path parameter the route captured, in pattern order.
    [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& params() const noexcept {
        return params_;
    }
    /// The header fields (case-insensitive lookup; views, see the class comment).
    [[nodiscard]] const request_headers& headers() const noexcept { return headers_; }
    /// The first value of header name, or nullopt.
    [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const noexcept {
        return headers_.get(name);
    }
    /// The body as text (bytes as received; chunked bodies decoded).
    [[nodiscard]] const std::string& body() const noexcept { return body_; }
    /// The body as bytes.
    [[nodiscard]] std::span<const std::byte> body_bytes() const noexcept {
        return std::as_bytes(std::span<const char>(body_.data(), body_.size()));
    }
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    [[nodiscard]] int version_minor() const noexcept { return version_minor_; }
    /// Whether the client wants the connection kept open after this request.
    [[nodiscard]] bool keep_alive() const noexcept { return keep_alive_; }
    /// The client's address ("127.0.0.1:53122").
    [[nodiscard]] const std::string& remote_address() const noexcept { return remote_; }

private:
    friend struct detail::request_access;

    std::string_view method_;
    std::string_view target_;
    std::string_view path_;  // into target_
    std::string_view query_; // into target_
    std::string_view route_; // the matched route's pattern (owned by the server), or empty
    request_headers headers_;
    std::string body_;
    std::vector<std::pair<std::string, std::string>> params_;
    std::string remote_;
    int version_minor_ = 1;
    bool keep_alive_ = true;
};

/// Decodes %XX escapes (and '+' as a space when plus_is_space); malformed escapes stay as they
/// are.
[[nodiscard]] std::string percent_decode(std::string_view s, bool plus_is_space = false);

} // namespace weft::http
