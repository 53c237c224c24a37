#pragma once

// How a response becomes bytes on the connection.
//  - out_buffer: the response bytes not written yet. A session formats each response head (and a
//    small in-memory body) into it in place, and answers to pipelined requests gather there, to
//    go out in one write.
//  - put_head(): formats a response head: the status line, the handler's fields, Server, Date,
//    the framing (Content-Length or Transfer-Encoding) and Connection.
//  - stream_writer: the body_writer a streamed response's producer writes to: chunked for
//    HTTP/1.1, raw (ended by closing) for 1.0, each write bounded by the session's send timeout.
// What the session decides (keep-alive, whether a body is copied or gathered) stays in
// session.cpp.

#include "date_line.hpp"

#include <weft/net/connection.hpp>
#include <weft/net/http/server_response.hpp>
#include <weft/runtime/task.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

// Private to libweft: hidden from its exported symbols, so that calls to it are direct (no PLT)
// and may be inlined.
#pragma GCC visibility push(hidden)

namespace weft::http::detail {

class session;

/// The response bytes not written yet: a plain growable buffer that the response head is
/// formatted into in place (no per-piece capacity checks).
class out_buffer {
public:
    /// Room for n more bytes at the end; commit() what was written.
    char* reserve(std::size_t n) {
        if (cap_ - size_ < n) {
            const std::size_t cap = std::max({cap_ * 2, size_ + n, std::size_t{4096}});
            auto bigger = std::make_unique<char[]>(cap);
            if (size_ != 0) {
                std::memcpy(bigger.get(), data_.get(), size_);
            }
            data_ = std::move(bigger);
            cap_ = cap;
        }
        return data_.get() + size_;
    }
    void commit(char* end) noexcept { size_ = static_cast<std::size_t>(end - data_.get()); }
    void append(std::string_view s) {
        char* p = reserve(s.size());
        std::memcpy(p, s.data(), s.size());
        size_ += s.size();
    }
    [[nodiscard]] std::span<const char> bytes() const noexcept { return {data_.get(), size_}; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    void clear() noexcept { size_ = 0; }

private:
    std::unique_ptr<char[]> data_;
    std::size_t size_ = 0;
    std::size_t cap_ = 0;
};

/// Whether a response with this status has a body (RFC 9110 section 6.4.1).
constexpr bool carries_body(int status) noexcept {
    return status >= 200 && status != 204 && status != 304;
}

/// Whether the comma-separated list holds token (case-insensitive), as a Connection field's
/// "close".
[[nodiscard]] bool has_token(std::string_view list, std::string_view token);

/// How put_head() frames a response.
struct head_spec {
    bool keep_alive = true;
    bool chunked = false;                        ///< Transfer-Encoding: chunked
    std::optional<std::uint64_t> content_length; ///< else no length (with chunked: none)
    int version_minor = 1;                       ///< the request's: 1.0 needs keep-alive said
    std::string_view server_line;                ///< "Server: weft\r\n", or empty
};

/// Formats resp's head into out in place: the status line, the handler's fields (less the ones
/// the server writes: Content-Length, Transfer-Encoding, Connection), Server and Date unless the
/// handler gave them, the framing and Connection.
void put_head(out_buffer& out, const server_response& resp, const head_spec& spec, date_line& date);

/// Body writer of a streamed response: chunked for HTTP/1.1, raw (ended by closing) for 1.0.
/// Each write is bounded by send_timeout, and the producer yields to the loop after every
/// fair_bytes written, even when every write finds room in the socket at once.
class stream_writer final : public body_writer {
public:
    stream_writer(session& s, net::connection& c, bool chunked)
        : session_(s), conn_(c), chunked_(chunked) {}

    task<void> write(std::string_view data) override;

    /// Whether a write to the client failed.
    [[nodiscard]] bool io_failed() const noexcept { return io_failed_; }

private:
    session& session_;
    net::connection& conn_;
    bool chunked_;
    bool io_failed_ = false;
};

} // namespace weft::http::detail

#pragma GCC visibility pop
