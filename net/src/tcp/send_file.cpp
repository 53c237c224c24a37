// connection::send_file's system call (connection.hpp): sendfile(2) from a file to the socket,
// tried at once and again at each writability of the socket, as a gathered write is (the
// waiting, the cancellation and the errors are io_op's, in connection.cpp). Kept apart so that
// connection.cpp stays one job: sockets and their reads and writes.
#include "connection_impl.hpp"

#include <sys/sendfile.h>

#include <cerrno>
#include <cstdint>

namespace weft::net::detail {

// rlen_ is the bytes still to send, done_ those sent; file_off_ the file offset of the next one.
// The file ending before rlen_ (it shrank) finishes the operation with fewer bytes than asked.
bool io_op::try_send_file() noexcept {
    while (rlen_ > done_) {
        auto off = static_cast<off_t>(file_off_);
        const ssize_t sent =
            uninterrupted([&] { return ::sendfile(c_->fd, file_fd_, &off, rlen_ - done_); });
        if (sent < 0) {
            if (would_block(errno)) {
                return false;
            }
            err_ = errno;
            return true;
        }
        if (sent == 0) {
            return true; // end of file: fewer bytes than asked
        }
        done_ += static_cast<std::size_t>(sent);
        file_off_ += static_cast<std::uint64_t>(sent);
        c_->bytes_sent += static_cast<std::uint64_t>(sent);
    }
    return true;
}

} // namespace weft::net::detail
