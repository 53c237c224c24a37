// Response heads formatted in place into the output buffer, and the streamed body's writer
// (response_writer.hpp).

#include "response_writer.hpp"

#include "access.hpp"
#include "parser.hpp"
#include "session.hpp"

#include <weft/net/error.hpp>
#include <weft/net/http/headers.hpp>
#include <weft/runtime/sleep.hpp>

#include <array>
#include <charconv>
#include <cstring>

namespace weft::http::detail {

namespace {

char* put(char* p, std::string_view s) noexcept {
    std::memcpy(p, s.data(), s.size());
    return p + s.size();
}

// "HTTP/1.1 200 OK\r\n" for a status of 100-999.
char* put_status_line(char* p, int status) noexcept {
    static constexpr std::string_view ok = "HTTP/1.1 200 OK\r\n";
    if (status == 200) {
        return put(p, ok);
    }
    p = put(p, "HTTP/1.1 ");
    *p++ = static_cast<char>('0' + status / 100);
    *p++ = static_cast<char>('0' + status / 10 % 10);
    *p++ = static_cast<char>('0' + status % 10);
    *p++ = ' ';
    p = put(p, reason_phrase(status));
    return put(p, "\r\n");
}

// The handler's fields, less those the server writes itself; notes whether Date and Server are
// among them.
char* put_fields(char* p, const http::headers& fields, bool& has_date, bool& has_server) noexcept {
    for (const header_field& f : fields) {
        switch (f.name.empty() ? '\0' : f.name.front() | 0x20) {
        case 'c':
            if (iequals(f.name, "content-length") || iequals(f.name, "connection")) {
                continue;
            }
            break;
        case 't':
            if (iequals(f.name, "transfer-encoding")) {
                continue;
            }
            break;
        case 'd':
            has_date = has_date || iequals(f.name, "date");
            break;
        case 's':
            has_server = has_server || iequals(f.name, "server");
            break;
        default:
            break;
        }
        p = put(p, f.name);
        p = put(p, ": ");
        p = put(p, f.value);
        p = put(p, "\r\n");
    }
    return p;
}

} // namespace

bool has_token(std::string_view list, std::string_view token) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
            item.remove_prefix(1);
        }
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
            item.remove_suffix(1);
        }
        if (iequals(item, token)) {
            return true;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        list.remove_prefix(comma + 1);
    }
    return false;
}

void put_head(out_buffer& out, const server_response& resp, const head_spec& spec,
              date_line& date) {
    const std::string_view type = response_access::inline_type(resp);
    const http::headers& fields = response_access::fields(resp);
    constexpr std::size_t fixed = 64 /* status line */ + 16 + 64 /* Content-Type */ +
                                  date_line::size + 48 /* framing */ + 32 /* Connection */ + 2;
    std::size_t bound = fixed + spec.server_line.size();
    for (const header_field& f : fields) {
        bound += f.name.size() + f.value.size() + 4;
    }
    char* const start = out.reserve(bound);
    char* p = put_status_line(start, resp.status());
    if (!type.empty()) {
        p = put(p, "Content-Type: ");
        p = put(p, type);
        p = put(p, "\r\n");
    }
    bool has_date = false;
    bool has_server = false;
    p = put_fields(p, fields, has_date, has_server);
    if (!has_server) {
        p = put(p, spec.server_line);
    }
    if (!has_date) {
        p = put(p, date.get());
    }
    if (spec.chunked) {
        p = put(p, "Transfer-Encoding: chunked\r\n");
    } else if (spec.content_length) {
        p = put(p, "Content-Length: ");
        p = std::to_chars(p, p + 24, *spec.content_length).ptr;
        p = put(p, "\r\n");
    }
    if (!spec.keep_alive) {
        p = put(p, "Connection: close\r\n");
    } else if (spec.version_minor == 0) {
        p = put(p, "Connection: keep-alive\r\n");
    }
    p = put(p, "\r\n");
    out.commit(p);
}

task<void> stream_writer::write(std::string_view data) {
    if (data.empty()) {
        co_return;
    }
    try {
        if (chunked_) {
            char size[24];
            auto [end, ec] = std::to_chars(size, size + sizeof size - 2, data.size(), 16);
            *end++ = '\r';
            *end++ = '\n';
            static constexpr char crlf[] = "\r\n";
            const std::array<std::span<const char>, 3> parts{
                std::span<const char>(size, static_cast<std::size_t>(end - size)),
                std::span<const char>(data.data(), data.size()), std::span<const char>(crlf, 2)};
            auto op = conn_.write_all(std::span<const std::span<const char>>(parts));
            co_await session::timed(session_, op);
        } else {
            auto op = conn_.write_all(std::span<const char>(data.data(), data.size()));
            co_await session::timed(session_, op);
        }
    } catch (const net::error&) {
        io_failed_ = true; // the client is gone: not the producer's failure
        throw;
    }
    written_ += data.size();
    if (session_.spend(data.size())) {
        co_await weft::yield();
    }
}

} // namespace weft::http::detail
