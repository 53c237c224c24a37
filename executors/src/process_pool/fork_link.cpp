// Requests to the fork server and the records it sends back, over the SOCK_SEQPACKET control
// socket, and the end of that link (see fork_link.hpp for its states); a spawn request carries
// the worker's socket as SCM_RIGHTS.

#include "fork_link.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace weft::detail::pp {

void fork_link::open(int ep, std::uint64_t tag, int wake_fd) noexcept {
    ep_ = ep;
    wake_fd_ = wake_fd;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    ::epoll_ctl(ep_, EPOLL_CTL_ADD, fd_, &ev);
}

bool fork_link::send(const fs_msg& msg, int fd) noexcept {
    if (state_ != link_state::up) {
        return false;
    }
    iovec iov{const_cast<fs_msg*>(&msg), sizeof msg};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    char cbuf[CMSG_SPACE(sizeof(int))];
    if (fd >= 0) {
        std::memset(cbuf, 0, sizeof cbuf);
        mh.msg_control = cbuf;
        mh.msg_controllen = sizeof cbuf;
        cmsghdr* c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    while (::sendmsg(fd_, &mh, MSG_NOSIGNAL) < 0) {
        if (errno != EINTR) {
            // Lost: the server is gone (EPIPE) or the socket failed. The socket may not read EOF
            // (yet, or ever), so the I/O thread is woken to end the link itself.
            state_ = link_state::failed;
            std::uint64_t one = 1;
            [[maybe_unused]] auto r = ::write(wake_fd_, &one, sizeof one);
            return false;
        }
    }
    return true;
}

bool fork_link::spawn(std::uint64_t token, int worker_fd, bool exec) noexcept {
    fs_msg msg;
    msg.type = exec ? fs_spawn_exec : fs_spawn_fork;
    msg.token = token;
    return send(msg, worker_fd);
}

bool fork_link::kill(pid_t pid, int sig) noexcept {
    fs_msg msg;
    msg.type = fs_kill;
    msg.pid = pid;
    msg.arg = sig;
    return send(msg, -1);
}

fork_link::recv_status fork_link::receive(fs_msg& m) noexcept {
    if (state_ == link_state::ended) {
        return recv_status::gone;
    }
    for (;;) {
        ssize_t n = ::recv(fd_, &m, sizeof m, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return recv_status::empty;
        }
        if (n <= 0) {
            return recv_status::gone;
        }
        if (static_cast<std::size_t>(n) == sizeof m) {
            return recv_status::record;
        }
        // A record of another size: not ours; skip it.
    }
}

bool fork_link::end() noexcept {
    if (state_ == link_state::ended) {
        return false;
    }
    state_ = link_state::ended;
    ::epoll_ctl(ep_, EPOLL_CTL_DEL, fd_, nullptr);
    // Shut down, not closed: init.cpp keeps this descriptor (and closes it in a forked child), so
    // its number must not be reused by another file. One descriptor stays for the process's life.
    ::shutdown(fd_, SHUT_RDWR);
    return true;
}

} // namespace weft::detail::pp
