#pragma once

// The parent's end of the fork server's control socket (private): spawn and kill requests out,
// spawned / spawn failed / exited records in (protocol.hpp). The service owns it and calls it
// under its lock.
//
// Its life (state()):
//   up      requests go out; the I/O thread reads the records (EPOLLIN).
//   failed  a request could not be sent, so it was lost: the link is done, and no request goes
//           out any more. The failed send woke the I/O thread to end the link.
//   ended   the I/O thread read what the server had sent, took the socket off the epoll set and
//           shut it down (a server still alive reads EOF, kills its workers and exits).
// up -> failed on any thread (a send fails); up or failed -> ended on the I/O thread (end()), once,
// whichever way it found the server gone: EOF or an error on the socket, or the link failed. The
// service then takes the server's workers for dead (service.cpp, fork_server_gone).

#include "protocol.hpp"

#include <sys/types.h>

#include <cstdint>

namespace weft::detail::pp {

class fork_link {
public:
    enum class link_state : std::uint8_t { up, failed, ended };

    explicit fork_link(int fd) noexcept : fd_(fd) {}
    fork_link(const fork_link&) = delete;
    fork_link& operator=(const fork_link&) = delete;

    /// Adds the socket to the epoll set ep under tag; a send that fails writes to wake_fd (the
    /// eventfd the I/O thread waits on).
    void open(int ep, std::uint64_t tag, int wake_fd) noexcept;
    [[nodiscard]] link_state state() const noexcept { return state_; }
    /// Whether the fork server is known to be gone (no worker can be started).
    [[nodiscard]] bool dead() const noexcept { return state_ != link_state::up; }

    /// Asks for a worker on worker_fd (the server gets its own copy), named by token; exec:
    /// re-executing the program. False when the request was not sent (the link is not up).
    bool spawn(std::uint64_t token, int worker_fd, bool exec) noexcept;
    /// Asks the server to send sig to pid (if pid is still one of its children). False when the
    /// request was not sent.
    bool kill(pid_t pid, int sig) noexcept;

    enum class recv_status { record, empty, gone };
    /// The next record the server sent: `record` (m filled in), `empty` (none waiting) or
    /// `gone` (EOF or an error: the server died; or the link ended).
    recv_status receive(fs_msg& m) noexcept;

    /// Ends the link (I/O thread): takes the socket off the epoll set and shuts it down. False
    /// when it had ended already.
    bool end() noexcept;

private:
    bool send(const fs_msg& msg, int fd) noexcept;

    int fd_;
    int ep_ = -1;
    int wake_fd_ = -1;
    link_state state_ = link_state::up;
};

} // namespace weft::detail::pp
