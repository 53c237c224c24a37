#pragma once

#include <weft/net/http/headers.hpp>
#include <weft/runtime/task.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace weft::http {

/// Where a streamed response's handler writes its body, chunk by chunk, straight to the client
/// (with chunked transfer coding for HTTP/1.1 clients). Each write waits while the client reads
/// slowly (backpressure); one that makes no progress for the server's send_timeout fails (the
/// connection is reset). After 64 KiB written without waiting for the socket, a write also
/// yields to the loop (as weft::yield() does), so that a producer whose writes all find room at
/// once does not keep the loop from its other connections.
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

namespace detail {
struct response_access;

/// A file body: length bytes of an open file from offset. Owns fd (closes it when the last
/// response holding it goes).
struct file_body {
    int fd = -1;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    file_body(int f, std::uint64_t o, std::uint64_t l) noexcept : fd(f), offset(o), length(l) {}
    file_body(const file_body&) = delete;
    file_body& operator=(const file_body&) = delete;
    ~file_body();
};
} // namespace detail

/// What a server handler returns (weft::http::response is the client's result): an HTTP
/// response's status, header fields and either a body held in memory or a body producer
/// that streams it (for large or open-ended payloads). The server adds Date, Server,
/// Content-Length or Transfer-Encoding, and Connection.
///
/// Sending one allocates nothing beyond what the handler built: the Content-Type given to a
/// constructor or factory is kept inline (up to 47 bytes) until headers() is asked for, and a
/// borrowed() body is written to the socket without a copy.
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
        if (!body_.empty()) {
            set_content_type(content_type);
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
    /// A response whose body is bytes the caller keeps alive and unchanged until the response has
    /// been sent (static data, an immutable cache entry): written to the socket without a copy.
    [[nodiscard]] static server_response
    borrowed(std::string_view body, int status = 200,
             std::string_view content_type = "text/plain; charset=utf-8") {
        server_response r(status);
        r.borrowed_ = body;
        if (!body.empty()) {
            r.set_content_type(content_type);
        }
        return r;
    }
    /// A response whose body producer writes the body in parts (chunked transfer coding).
    [[nodiscard]] static server_response
    stream(body_producer producer, int status = 200,
           std::string_view content_type = "application/octet-stream") {
        server_response r(status);
        r.producer_ = std::move(producer);
        r.set_content_type(content_type);
        return r;
    }

    /// A response whose body is length bytes of the open file fd from offset, sent by the server
    /// with sendfile(2) (or read and written in 64 KiB parts where the connection cannot use it).
    /// Takes ownership of fd: it is closed once the response is sent or dropped, whatever
    /// happens. Should the file end before offset + length while it is sent (it shrank), the
    /// connection is closed: the client sees a short body, never other bytes. A ready answer to
    /// a request for a file, with its type, validators, 304 and ranges: weft::http::serve_file()
    /// (static_files.hpp).
    /// @throws std::bad_alloc (fd is closed then too).
    [[nodiscard]] static server_response
    file(int fd, std::uint64_t offset, std::uint64_t length, int status = 200,
         std::string_view content_type = "application/octet-stream");

    /// The status code (100-999 as sent; the server answers 500 for one outside 200-599).
    [[nodiscard]] int status() const noexcept { return status_; }
    server_response& set_status(int s) noexcept {
        status_ = s;
        return *this;
    }
    /// The header fields (a Content-Length or Transfer-Encoding here is replaced by the server's).
    [[nodiscard]] http::headers& headers() {
        settle_headers();
        return headers_;
    }
    [[nodiscard]] const http::headers& headers() const {
        settle_headers();
        return headers_;
    }
    /// Sets header name, replacing any field of that name.
    server_response& set_header(std::string_view name, std::string value) {
        settle_headers();
        headers_.set(name, std::move(value));
        return *this;
    }
    /// The in-memory body (a borrowed body is copied into it first).
    [[nodiscard]] std::string& body() {
        settle_body();
        return body_;
    }
    [[nodiscard]] const std::string& body() const {
        settle_body();
        return body_;
    }
    server_response& set_body(std::string b) {
        body_ = std::move(b);
        borrowed_ = {};
        return *this;
    }
    /// Makes the body bytes the caller keeps alive and unchanged until the response has been
    /// sent (see borrowed()).
    server_response& set_borrowed_body(std::string_view b) noexcept {
        body_.clear();
        borrowed_ = b;
        return *this;
    }
    /// Whether the body is streamed by a producer.
    [[nodiscard]] bool is_streamed() const noexcept { return static_cast<bool>(producer_); }
    /// The body producer (empty unless streamed).
    [[nodiscard]] body_producer& producer() noexcept { return producer_; }
    /// Whether the body is a file's bytes (file()).
    [[nodiscard]] bool is_file() const noexcept { return file_ != nullptr; }

private:
    friend struct detail::response_access;

    static constexpr std::size_t inline_type_capacity = 47;

    void set_content_type(std::string_view type) {
        if (type.empty()) {
            return;
        }
        if (type.size() > inline_type_capacity) {
            headers_.set("Content-Type", std::string(type));
            return;
        }
        type.copy(type_, type.size());
        type_size_ = static_cast<std::uint8_t>(type.size());
    }
    // The inline Content-Type becomes the first header field.
    void settle_headers() const {
        if (type_size_ != 0) {
            headers_.add("Content-Type", std::string(type_, type_size_));
            type_size_ = 0;
        }
    }
    void settle_body() const {
        if (borrowed_.data() != nullptr) {
            body_.assign(borrowed_);
            borrowed_ = {};
        }
    }

    int status_ = 200;
    mutable std::uint8_t type_size_ = 0;
    char type_[inline_type_capacity] = {};
    mutable http::headers headers_;
    mutable std::string body_;
    mutable std::string_view borrowed_; // the body when data() is not null
    body_producer producer_;
    std::shared_ptr<const detail::file_body> file_; // the body when not null (file())
};

} // namespace weft::http
