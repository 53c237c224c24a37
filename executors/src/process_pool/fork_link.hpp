#pragma once

// The parent's end of the fork server's control socket (private): spawn and kill requests out,
// spawned / spawn failed / exited records in (protocol.hpp). The service owns it and calls it
// under its lock; once a send fails or the socket reads EOF, the server counts as dead and no
// worker can be started.

#include "protocol.hpp"

#include <sys/types.h>

#include <cstdint>

namespace weft::detail::pp {

class fork_link {
public:
    explicit fork_link(int fd) noexcept : fd_(fd) {}

    [[nodiscard]] int fd() const noexcept { return fd_; }
    /// Whether the fork server is known to be gone.
    [[nodiscard]] bool dead() const noexcept { return dead_; }
    /// Marks the server gone; false when it already was.
    bool mark_dead() noexcept {
        const bool was = dead_;
        dead_ = true;
        return !was;
    }

    /// Asks for a worker on worker_fd (the server gets its own copy), named by token; exec:
    /// re-executing the program.
    void spawn(std::uint64_t token, int worker_fd, bool exec) noexcept;
    /// Asks the server to send sig to pid (if pid is still one of its children).
    void kill(pid_t pid, int sig) noexcept;

    enum class recv_status { record, empty, gone };
    /// The next record the server sent: `record` (m filled in), `empty` (none waiting) or
    /// `gone` (EOF or an error: the server died).
    recv_status receive(fs_msg& m) noexcept;

private:
    void send(const fs_msg& msg, int fd) noexcept;

    int fd_;
    bool dead_ = false;
};

} // namespace weft::detail::pp
