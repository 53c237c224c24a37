#pragma once

// The pool's end of one worker's socket (private): nonblocking, registered on the pool service's
// epoll set under the worker's token, with an output buffer that is flushed when the socket has
// room (EPOLLOUT is armed only while bytes wait) and an input buffer cut into frames by the
// protocol's decoder. Touched only under the service lock.

#include "protocol.hpp"
#include "read_buffer.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace weft::detail::pp {

class channel {
public:
    channel() = default;
    channel(const channel&) = delete;
    channel& operator=(const channel&) = delete;
    ~channel();

    /// Takes the nonblocking socket fd and adds it to the epoll set ep under tag.
    void open(int ep, int fd, std::uint64_t tag);
    /// Whether the socket is open (it was opened, and neither end closed it since).
    [[nodiscard]] bool is_open() const noexcept { return fd_ >= 0; }
    /// Whether bytes queued now can reach the worker: open, and no send failed.
    [[nodiscard]] bool writable() const noexcept { return fd_ >= 0 && !output_ended_; }
    /// Takes the socket off the epoll set and closes it (the worker reads EOF); drops what was
    /// not sent.
    void close() noexcept;

    /// Queues bytes for the worker; flush() or the I/O thread (on EPOLLOUT) sends them.
    void queue(std::string_view bytes) { out_.append(bytes); }
    /// Bytes queued and not sent yet.
    [[nodiscard]] std::size_t unsent() const noexcept { return out_.size() - out_off_; }
    /// Whether bytes wait and nobody waits for room to send them: flush() is due.
    [[nodiscard]] bool flush_due() const noexcept { return !out_.empty() && !epollout_; }
    /// Whether EPOLLOUT is armed: the I/O thread sends the rest when the socket has room.
    [[nodiscard]] bool waiting_for_room() const noexcept { return epollout_; }
    /// Sends what the socket takes now; arms EPOLLOUT for the rest. When a send fails (the
    /// worker is gone, or the socket failed), drops the output for good and shuts the sending
    /// side down: a worker still running reads EOF and exits, so its EOF and exit status follow
    /// in every case, and what it sent before is still read.
    void flush() noexcept;

    enum class read_status {
        drained,   ///< nothing more to read now
        closed,    ///< EOF or reset: the channel closed itself
        malformed, ///< a frame's length was out of range: input dropped, the channel closed
    };

    /// Reads all the socket has, calling on_frame(const frame&) for each whole frame as it
    /// arrives (its payload is valid during the call); frames longer than limit are malformed.
    /// on_frame must not close the channel.
    template <class OnFrame>
    read_status read(std::size_t limit, OnFrame&& on_frame);

private:
    enum class recv_status { data, drained, closed };
    /// Adds what one recv() gets to in_.
    recv_status receive();
    void set_epollout(bool on) noexcept;

    int ep_ = -1;
    int fd_ = -1;
    std::uint64_t tag_ = 0;
    read_buffer in_;
    std::string out_;
    std::size_t out_off_ = 0; // out_[0, out_off_) was sent
    bool epollout_ = false;   // EPOLLOUT armed (out_ holds unsent bytes the socket had no room for)
    // A send failed: nothing more is sent (the socket is shut for writing).
    bool output_ended_ = false;
};

template <class OnFrame>
channel::read_status channel::read(std::size_t limit, OnFrame&& on_frame) {
    for (;;) {
        if (fd_ < 0) {
            return read_status::closed;
        }
        switch (receive()) {
        case recv_status::drained:
            return read_status::drained;
        case recv_status::closed:
            close();
            return read_status::closed;
        case recv_status::data:
            break;
        }
        std::size_t pos = 0;
        frame f{};
        std::size_t used = 0;
        for (;;) {
            const decode_status st = decode_frame(in_.data().substr(pos), limit, f, used);
            if (st == decode_status::malformed) {
                in_.clear();
                close();
                return read_status::malformed;
            }
            if (st == decode_status::partial) {
                break;
            }
            on_frame(f);
            pos += used;
        }
        in_.consume(pos);
    }
}

} // namespace weft::detail::pp
