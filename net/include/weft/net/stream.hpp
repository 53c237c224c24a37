#pragma once

#include <weft/net/address.hpp>
#include <weft/net/connection.hpp>
#include <weft/runtime/task.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace weft::net {

namespace detail {
struct stream_state;
} // namespace detail

/// The reading half of a connection (asyncio.StreamReader), with its own buffer. Copies share the
/// same stream. Use it from tasks of the connection's loop, one read at a time.
class stream_reader {
public:
    /// Default read_until()/readline() limit: 64 KiB.
    static constexpr std::size_t default_limit = 64 * 1024;
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    stream_reader() = default;
    explicit stream_reader(std::shared_ptr<detail::stream_state> s) noexcept : s_(std::move(s)) {}

    /// Up to n bytes (at least one unless the stream ended): what is buffered, else one read from
    /// the socket; "" at EOF. n == npos reads until EOF and returns everything.
    /// @throws connection_reset, net::error, cancelled_error.
    [[nodiscard]] task<std::string> read(std::size_t n = npos);

    /// Exactly n bytes.
    /// @throws incomplete_read (with the partial bytes) when the stream ends first.
    [[nodiscard]] task<std::string> read_exactly(std::size_t n);

    /// Everything up to and including delim.
    /// @throws limit_overrun when limit bytes arrive without delim (the data stays buffered);
    /// incomplete_read (partial = what was buffered, now consumed) when the stream ends first.
    [[nodiscard]] task<std::string> read_until(std::string_view delim,
                                               std::size_t limit = default_limit);

    /// One line, "\n" included; at EOF the last partial line, then "".
    /// @throws limit_overrun when a line is longer than the limit.
    [[nodiscard]] task<std::string> readline(std::size_t limit = default_limit);

    /// Whether the stream ended and the buffer is empty.
    [[nodiscard]] bool at_eof() const noexcept;

    /// Bytes buffered and not read yet.
    [[nodiscard]] std::size_t buffered() const noexcept;

private:
    std::shared_ptr<detail::stream_state> s_;
};

/// The writing half of a connection (asyncio.StreamWriter). write() buffers (sending at once what
/// the socket takes without waiting); drain() sends the rest, waiting while the peer does not
/// read (backpressure). Copies share the same stream.
class stream_writer {
public:
    stream_writer() = default;
    explicit stream_writer(std::shared_ptr<detail::stream_state> s) noexcept : s_(std::move(s)) {}

    /// Queues data: sent at once as far as the socket takes it without waiting, the rest kept
    /// until drain() (or close()). Errors surface in drain().
    void write(std::string_view data);

    /// Sends everything buffered; suspends while the peer does not read (backpressure).
    /// Cancelling it (wait_for running out) ends the waiting, not the sending: no byte is lost,
    /// and a later drain() or close() finishes the job.
    /// @throws connection_reset, net::error (also for a failure of an earlier write()),
    /// cancelled_error; invalid_state_error when another drain() is running.
    [[nodiscard]] task<void> drain();

    /// Bytes buffered and not sent yet.
    [[nodiscard]] std::size_t buffered() const noexcept;

    /// Whether buffered() is above the high-water mark (drain() is due).
    [[nodiscard]] bool above_high_water() const noexcept;

    /// Sets the high-water mark (default 64 KiB).
    void set_high_water(std::size_t bytes) noexcept;

    /// Sends FIN once the buffer is sent (write_eof): the peer reads EOF.
    void write_eof();

    /// Closes the stream: buffered data is still sent in the background, then the socket closes.
    void close();

    /// Whether close() was called.
    [[nodiscard]] bool is_closing() const noexcept;

    /// Waits until close() has finished sending and closed the socket.
    [[nodiscard]] task<void> wait_closed();

    /// The peer's address.
    [[nodiscard]] endpoint peer_endpoint() const;
    /// The local address.
    [[nodiscard]] endpoint local_endpoint() const;

private:
    std::shared_ptr<detail::stream_state> s_;
};

/// Streams over an open connection (they share it).
[[nodiscard]] std::pair<stream_reader, stream_writer> make_streams(connection c);

/// Connects to host:port and returns its streams (asyncio.open_connection); opts.tls makes it a
/// TLS connection (see connection::connect).
/// @throws resolve_error, connection_refused, net::error, tls_error, cancelled_error.
[[nodiscard]] task<std::pair<stream_reader, stream_writer>>
open_connection(std::string host, std::uint16_t port, connect_options opts);

/// open_connection with default options (an overload, not a default argument: see
/// connection::connect).
[[nodiscard]] task<std::pair<stream_reader, stream_writer>> open_connection(std::string host,
                                                                            std::uint16_t port);

/// Connects to a Unix-domain socket and returns its streams (asyncio.open_unix_connection).
[[nodiscard]] task<std::pair<stream_reader, stream_writer>> open_unix_connection(std::string path);

namespace detail {
/// make_streams in the detail namespace, for server.hpp's adapter.
using net::make_streams;
} // namespace detail

} // namespace weft::net
