// A response whose body is a file (server_response::file(), static_files()): its head is
// formatted by prepare() like any other; here its body goes out, with sendfile(2) where the
// connection can take it (connection::can_send_file(), server_options::use_sendfile), else read
// with pread(2) into a bounded buffer (64 KiB) and written (a TLS connection, which must encrypt
// what it sends). A file of up to inline_body_limit (16 KiB) is read and written with its head
// either way: one write instead of two.
//
// Either way, each write is bounded by send_timeout (session::timed: sendfile counts its bytes
// as progress as writes do), and the task yields to the loop after every fair_bytes sent without
// having waited for the socket. A file that ends before the length announced in Content-Length
// (it shrank while being sent) ends the connection: the client sees a short body and the close,
// never bytes that are not the file's. The file's descriptor belongs to the response, which
// run() drops on every path out (sent, client gone, cancelled).

#include "session.hpp"

#include <weft/runtime/sleep.hpp>

#include <spdlog/logger.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <memory>

namespace weft::http::detail {

task<bool> session::send_file_body(server_response& resp, bool keep) {
    const file_body& f = *response_access::file(resp);
    if (head_request_ || !carries_body(resp.status()) || f.length == 0) {
        if (!keep || begin_ == end_ || out_.size() >= pipeline_flush) {
            co_await write_out();
        }
        co_return keep;
    }
    std::uint64_t sent = 0;
    // A small file goes out with its head in one write and one TCP segment (the head and then
    // sendfile would be two of each).
    if (conn_.can_send_file() && srv_.opts.use_sendfile && f.length > inline_body_limit) {
        co_await flush(); // the head, then the file from the page cache
        sent = co_await send_by_sendfile(f);
    } else {
        sent = co_await send_by_copy(f); // the head goes out with the first part
    }
    if (sent < f.length) {
        http_log().warn("{}: file body of {} {} ended after {} of {} bytes (the file shrank); "
                        "connection closed",
                        req_.remote_address(), req_.method(), req_.target(), sent, f.length);
        out_.clear();
        co_return false; // run() closes the connection (a lingering close)
    }
    co_return keep;
}

// The file's bytes with sendfile(2), fair_bytes at a time; the bytes sent (fewer than f.length
// when the file ended first).
task<std::uint64_t> session::send_by_sendfile(const file_body& f) {
    std::uint64_t done = 0;
    while (done < f.length) {
        const auto want =
            static_cast<std::size_t>(std::min<std::uint64_t>(f.length - done, fair_bytes));
        auto op = conn_.send_file(f.fd, f.offset + done, want);
        const std::size_t n = co_await timed(*this, op);
        done += n;
        if (n < want) {
            break; // the file ended
        }
        if (spend(n)) {
            co_await weft::yield();
        }
    }
    co_return done;
}

// The file's bytes read into a bounded buffer and written, the response head (in out_) with the
// first part; the bytes sent (fewer than f.length when the file ended or could not be read).
task<std::uint64_t> session::send_by_copy(const file_body& f) {
    const auto cap = static_cast<std::size_t>(std::min<std::uint64_t>(f.length, file_copy_buffer));
    const std::unique_ptr<char[]> buf = std::make_unique<char[]>(cap);
    std::uint64_t done = 0;
    while (done < f.length) {
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(f.length - done, cap));
        ssize_t n = 0;
        do {
            n = ::pread(f.fd, buf.get(), want, static_cast<off_t>(f.offset + done));
        } while (n < 0 && errno == EINTR);
        if (n <= 0) {
            break; // the file ended (or a read error): short
        }
        const std::array<std::span<const char>, 2> parts{
            out_.bytes(), std::span<const char>(buf.get(), static_cast<std::size_t>(n))};
        auto op = conn_.write_all(std::span<const std::span<const char>>(parts));
        co_await timed(*this, op);
        out_.clear();
        done += static_cast<std::uint64_t>(n);
        if (spend(static_cast<std::size_t>(n))) {
            co_await weft::yield();
        }
    }
    co_return done;
}

} // namespace weft::http::detail
