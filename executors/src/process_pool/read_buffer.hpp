#pragma once

// The input buffer both ends of a worker's socket read frames into (private): bytes received and
// not yet decoded, then room for the next read. It grows with what actually arrives, by a chunk
// at a time, and only growing writes (zeroes) into memory: a read reuses the room left, where
// resizing a string for every read would zero a whole chunk each time.

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace weft::detail::pp {

class read_buffer {
public:
    /// The most one read asks for when the buffer has no more room than that.
    static constexpr std::size_t chunk = std::size_t{1} << 18;

    /// Where the next read goes: at least `chunk` bytes of room (room_size()).
    [[nodiscard]] char* room() {
        if (buf_.size() - len_ < chunk) {
            buf_.resize(len_ + chunk);
        }
        return buf_.data() + len_;
    }
    [[nodiscard]] std::size_t room_size() const noexcept { return buf_.size() - len_; }
    /// n bytes were read into room().
    void commit(std::size_t n) noexcept { len_ += n; }

    /// The bytes received and not consumed.
    [[nodiscard]] std::string_view data() const noexcept { return {buf_.data(), len_}; }
    /// Drops the first n bytes of data().
    void consume(std::size_t n) noexcept {
        if (n != 0) {
            std::memmove(buf_.data(), buf_.data() + n, len_ - n);
            len_ -= n;
        }
    }
    void clear() noexcept { len_ = 0; }

private:
    std::string buf_; // [0, len_): data; [len_, size()): room for the next read
    std::size_t len_ = 0;
};

} // namespace weft::detail::pp
