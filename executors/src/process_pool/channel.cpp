// The socket I/O of channel (see channel.hpp): opening and closing on the epoll set, flushing
// the output buffer with EPOLLOUT armed only while the socket is full, and reading into the
// input buffer. The frame loop is the template in the header.

#include "channel.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace weft::detail::pp {

channel::~channel() {
    close();
}

void channel::open(int ep, int fd, std::uint64_t tag) {
    ep_ = ep;
    fd_ = fd;
    tag_ = tag;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = tag;
    ::epoll_ctl(ep_, EPOLL_CTL_ADD, fd_, &ev);
}

void channel::close() noexcept {
    if (fd_ < 0) {
        return;
    }
    ::epoll_ctl(ep_, EPOLL_CTL_DEL, fd_, nullptr);
    ::close(fd_);
    fd_ = -1;
    output_ended_ = false;
    out_.clear();
    out_off_ = 0;
    epollout_ = false;
}

void channel::set_epollout(bool on) noexcept {
    if (epollout_ == on || fd_ < 0) {
        return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (on ? static_cast<std::uint32_t>(EPOLLOUT) : 0U);
    ev.data.u64 = tag_;
    ::epoll_ctl(ep_, EPOLL_CTL_MOD, fd_, &ev);
    epollout_ = on;
}

void channel::flush() noexcept {
    while (fd_ >= 0 && !output_ended_ && out_off_ < out_.size()) {
        ssize_t n = ::send(fd_, out_.data() + out_off_, out_.size() - out_off_,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                set_epollout(true);
                return;
            }
            // The worker is gone (EPIPE, ECONNRESET) or the socket failed: either way bytes
            // were lost, so nothing more may follow them. A worker still alive reads EOF and
            // exits; its EOF (read() closes the channel then) and exit status follow.
            output_ended_ = true;
            ::shutdown(fd_, SHUT_WR);
            break;
        }
        out_off_ += static_cast<std::size_t>(n);
    }
    out_.clear();
    out_off_ = 0;
    set_epollout(false);
}

channel::recv_status channel::receive() {
    for (;;) {
        char* room = in_.room();
        ssize_t n = ::recv(fd_, room, in_.room_size(), MSG_DONTWAIT);
        if (n > 0) {
            in_.commit(static_cast<std::size_t>(n));
            return recv_status::data;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return recv_status::drained;
        }
        return recv_status::closed; // EOF, or a reset: the worker is gone
    }
}

} // namespace weft::detail::pp
