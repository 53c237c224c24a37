// The fork server: a helper process started by weft::init while the program has one thread, so
// that workers can be forked from a clean single-threaded image (or re-executed, for
// start_method::spawn). It serves the parent's spawn and kill requests, reaps its children and
// reports their exits, and kills every worker when the parent goes away. Also here: starting it,
// and the argv/environment a re-executed helper needs.

#include "helper_processes.hpp"
#include "protocol.hpp"

#include <weft/runtime/error.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <vector>

extern char** environ;

namespace weft::detail::pp {

namespace {

void send_msg(int fd, const fs_msg& m) {
    while (::send(fd, &m, sizeof m, MSG_NOSIGNAL) < 0) {
        if (errno != EINTR) {
            return;
        }
    }
}

std::vector<char*> exec_argv() {
    std::vector<char*> v;
    for (auto& a : saved_args()) {
        v.push_back(a.data());
    }
    if (v.empty()) {
        static char self[] = "weft-worker";
        v.push_back(self);
    }
    v.push_back(nullptr);
    return v;
}

/// Environment for a re-executed helper: ours plus name=fd.
std::vector<std::string> helper_env(const char* name, int fd) {
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        if (std::strncmp(*e, worker_env, std::strlen(worker_env)) != 0 &&
            std::strncmp(*e, server_env, std::strlen(server_env)) != 0) {
            env.emplace_back(*e);
        }
    }
    env.push_back(std::string(name) + "=" + std::to_string(fd));
    return env;
}

[[noreturn]] void exec_helper(const char* name, int fd) {
    std::vector<std::string> env = helper_env(name, fd);
    std::vector<char*> envp;
    for (auto& e : env) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);
    std::vector<char*> argv = exec_argv();
    ::fcntl(fd, F_SETFD, 0); // keep fd across exec
    ::execve("/proc/self/exe", argv.data(), envp.data());
    ::_exit(127);
}

/// The fork server's state: its socket to the parent, its SIGCHLD signalfd, its live children.
class fork_server {
public:
    explicit fork_server(int ctl) : ctl_(ctl), self_(::getpid()) {
        ::prctl(PR_SET_NAME, "weft-forkserver", 0, 0, 0);
        // Only SIGCHLD blocked (read through signalfd), whatever mask the program had; Ctrl-C in
        // the terminal is for the program, which ends the pool (and so its workers) itself.
        sigset_t chld;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        ::sigprocmask(SIG_SETMASK, &chld, nullptr);
        ::signal(SIGPIPE, SIG_IGN);
        ::signal(SIGINT, SIG_IGN);
        ::signal(SIGTERM, SIG_DFL);
        ::signal(SIGCHLD, SIG_DFL);
        sfd_ = ::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    }

    /// Serves requests until the parent is gone, then kills and reaps every worker.
    [[noreturn]] void run() {
        for (;;) {
            pollfd fds[2] = {{ctl_, POLLIN, 0}, {sfd_, POLLIN, 0}};
            int n = ::poll(fds, sfd_ >= 0 ? 2 : 1, sfd_ >= 0 ? -1 : 100);
            if (n < 0 && errno != EINTR) {
                break;
            }
            if (sfd_ >= 0 && (fds[1].revents & POLLIN) != 0) {
                signalfd_siginfo si[8];
                while (::read(sfd_, si, sizeof si) > 0) {
                }
            }
            reap();
            if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                continue;
            }
            if (!serve_one()) {
                break; // the parent is gone
            }
        }
        finish();
    }

private:
    /// Reports every child that ended.
    void reap() {
        for (;;) {
            int st = 0;
            pid_t p = ::waitpid(-1, &st, WNOHANG);
            if (p <= 0) {
                return;
            }
            live_.erase(p);
            fs_msg m;
            m.type = fs_exited;
            m.pid = p;
            m.arg = st;
            send_msg(ctl_, m);
        }
    }

    /// Reads and carries out one request; false when the parent is gone.
    bool serve_one() {
        fs_msg m;
        char cbuf[CMSG_SPACE(sizeof(int))];
        iovec iov{&m, sizeof m};
        msghdr mh{};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = cbuf;
        mh.msg_controllen = sizeof cbuf;
        ssize_t r = ::recvmsg(ctl_, &mh, MSG_CMSG_CLOEXEC);
        if (r < 0 && errno == EINTR) {
            return true;
        }
        if (r <= 0) {
            return false;
        }
        int fd = -1;
        for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
            }
        }
        if (m.type == fs_kill) {
            if (live_.count(m.pid) != 0) {
                ::kill(m.pid, m.arg);
            }
            return true;
        }
        if ((m.type != fs_spawn_fork && m.type != fs_spawn_exec) || fd < 0) {
            if (fd >= 0) {
                ::close(fd);
            }
            return true;
        }
        spawn(m, fd);
        return true;
    }

    /// Forks a worker on fd and reports its pid (or the failure) under the request's token.
    void spawn(const fs_msg& m, int fd) {
        pid_t pid = ::fork();
        if (pid == 0) {
            become_worker(m, fd);
        }
        fs_msg out;
        out.token = m.token;
        if (pid < 0) {
            out.type = fs_spawn_failed;
            out.arg = errno;
        } else {
            live_.insert(pid);
            out.type = fs_spawned;
            out.pid = pid;
        }
        ::close(fd);
        send_msg(ctl_, out);
    }

    /// In the forked child: drops the server's descriptors and signal setup, then runs (or
    /// re-executes into) the worker.
    [[noreturn]] void become_worker(const fs_msg& m, int fd) {
        ::close(ctl_);
        if (sfd_ >= 0) {
            ::close(sfd_);
        }
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (::getppid() != self_) {
            ::_exit(1);
        }
        if (m.type == fs_spawn_exec) {
            exec_helper(worker_env, fd);
        }
        ::prctl(PR_SET_NAME, "weft-worker", 0, 0, 0);
        worker_main(fd);
    }

    /// The parent is gone or closed us: no worker may outlive it.
    [[noreturn]] void finish() {
        for (pid_t p : live_) {
            ::kill(p, SIGKILL);
        }
        while (!live_.empty()) {
            int st = 0;
            pid_t p = ::waitpid(-1, &st, 0);
            if (p < 0 && errno != EINTR) {
                break;
            }
            live_.erase(p);
        }
        ::_exit(0);
    }

    int ctl_;
    int sfd_ = -1;
    pid_t self_;
    std::set<pid_t> live_;
};

std::size_t thread_count() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("Threads:", 0) == 0) {
            return static_cast<std::size_t>(std::strtoul(line.c_str() + 8, nullptr, 10));
        }
    }
    return 0;
}

} // namespace

[[noreturn]] void fork_server_main(int ctl) {
    fork_server server(ctl);
    server.run();
}

int start_fork_server() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        throw error(std::string("weft::init: socketpair failed: ") + std::strerror(errno));
    }
    const bool alone = thread_count() == 1;
    // A re-executed server needs its arguments and environment ready before fork(): after it, a
    // multi-threaded process may only call async-signal-safe functions.
    std::vector<std::string> env;
    std::vector<char*> envp;
    std::vector<char*> argv;
    if (!alone) {
        env = helper_env(server_env, sv[1]);
        for (auto& e : env) {
            envp.push_back(e.data());
        }
        envp.push_back(nullptr);
        argv = exec_argv();
    }
    std::fflush(nullptr);
    const pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) {
        int e = errno;
        ::close(sv[0]);
        ::close(sv[1]);
        throw error(std::string("weft::init: fork failed: ") + std::strerror(e));
    }
    if (pid == 0) {
        ::close(sv[0]);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (::getppid() != parent) {
            ::_exit(1);
        }
        if (alone) {
            fork_server_main(sv[1]);
        }
        ::fcntl(sv[1], F_SETFD, 0);
        ::execve("/proc/self/exe", argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(sv[1]);
    return sv[0];
}

} // namespace weft::detail::pp
