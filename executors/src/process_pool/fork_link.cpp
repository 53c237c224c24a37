// Requests to the fork server and the records it sends back, over the SOCK_SEQPACKET control
// socket (see fork_link.hpp); a spawn request carries the worker's socket as SCM_RIGHTS.

#include "fork_link.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace weft::detail::pp {

void fork_link::send(const fs_msg& msg, int fd) noexcept {
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
            dead_ = true;
            return;
        }
    }
}

void fork_link::spawn(std::uint64_t token, int worker_fd, bool exec) noexcept {
    fs_msg msg;
    msg.type = exec ? fs_spawn_exec : fs_spawn_fork;
    msg.token = token;
    send(msg, worker_fd);
}

void fork_link::kill(pid_t pid, int sig) noexcept {
    fs_msg msg;
    msg.type = fs_kill;
    msg.pid = pid;
    msg.arg = sig;
    send(msg, -1);
}

fork_link::recv_status fork_link::receive(fs_msg& m) noexcept {
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

} // namespace weft::detail::pp
