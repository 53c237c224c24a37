#pragma once

#include <weft/net/http/headers.hpp>
#include <weft/runtime/task.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace weft::http {

/// Where a streamed response's handler writes its body, chunk by chunk, straight to the client
/// (with chunked transfer coding for HTTP/1.1 clients). Each write waits while the client reads
/// slowly (backpressure).
class body_writer {
public:
    body_writer() = default;
    body_writer(const body_writer&) = delete;
    body_writer& operator=(const body_writer&) = delete;
    virtual ~body_writer() = default;

    /// Sends data as the next part of the body (an empty data sends nothing).
    /// @throws weft::net::error when the client is gone; cancelled_error.
    [[nodiscard]] virtual task<void> write(std::string_view data) = 0;

    /// Bytes of body written so far.
    [[nodiscard]] std::size_t bytes_written() const noexcept { return written_; }

protected:
    std::size_t written_ = 0;
};

/// What a server handler returns (weft::http::response is the client's result): an HTTP
/// response's status, header fields and either a body held in memory or a body producer
/// that streams it (for large or open-ended payloads). The server adds Date, Server,
/// Content-Length or Transfer-Encoding, and Connection.
class server_response {
public:
    /// Produces a streamed body by writing to the body_writer; the response's status and headers
    /// are sent before it runs.
    using body_producer = std::function<task<void>(body_writer&)>;

    /// 200 with an empty body.
    server_response() = default;
    /// A response with status and body; Content-Type is set when content_type is not empty.
    explicit server_response(int status, std::string body = {},
                             std::string_view content_type = "text/plain; charset=utf-8")
        : status_(status), body_(std::move(body)) {
        if (!content_type.empty() && !body_.empty()) {
            headers_.set("Content-Type", std::string(content_type));
        }
    }

    /// A 200 (or status) text/plain response.
    [[nodiscard]] static server_response text(std::string body, int status = 200) {
        return server_response(status, std::move(body), "text/plain; charset=utf-8");
    }
    /// A 200 (or status) response with an application/json body (body must be JSON already).
    [[nodiscard]] static server_response json(std::string body, int status = 200) {
        return server_response(status, std::move(body), "application/json");
    }
    /// A response whose body producer writes the body in parts (chunked transfer coding).
    [[nodiscard]] static server_response
    stream(body_producer producer, int status = 200,
           std::string_view content_type = "application/octet-stream") {
        server_response r(status);
        r.producer_ = std::move(producer);
        if (!content_type.empty()) {
            r.headers_.set("Content-Type", std::string(content_type));
        }
        return r;
    }

    /// The status code (100-999 as sent; the server answers 500 for one outside 200-599).
    [[nodiscard]] int status() const noexcept { return status_; }
    server_response& set_status(int s) noexcept {
        status_ = s;
        return *this;
    }
    /// The header fields (a Content-Length or Transfer-Encoding here is replaced by the server's).
    [[nodiscard]] http::headers& headers() noexcept { return headers_; }
    [[nodiscard]] const http::headers& headers() const noexcept { return headers_; }
    /// Sets header name, replacing any field of that name.
    server_response& set_header(std::string_view name, std::string value) {
        headers_.set(name, std::move(value));
        return *this;
    }
    /// The in-memory body.
    [[nodiscard]] std::string& body() noexcept { return body_; }
    [[nodiscard]] const std::string& body() const noexcept { return body_; }
    server_response& set_body(std::string b) {
        body_ = std::move(b);
        return *this;
    }
    /// Whether the body is streamed by a producer.
    [[nodiscard]] bool is_streamed() const noexcept { return static_cast<bool>(producer_); }
    /// The body producer (empty unless streamed).
    [[nodiscard]] body_producer& producer() noexcept { return producer_; }

private:
    int status_ = 200;
    http::headers headers_;
    std::string body_;
    body_producer producer_;
};

} // namespace weft::http
