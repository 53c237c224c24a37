// weft::init, the fork server and the worker loop: everything that runs in the helper processes.

#include "protocol.hpp"

#include <weft/executors/init.hpp>
#include <weft/executors/remote.hpp>
#include <weft/runtime/error.hpp>

#include <cxxabi.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <typeinfo>
#include <unordered_set>
#include <vector>

extern char** environ;

namespace weft {

namespace detail::pp {

namespace {

constexpr const char* worker_env = "WEFT_PROCESS_POOL_WORKER";
constexpr const char* server_env = "WEFT_PROCESS_POOL_FORK_SERVER";

// The program's arguments, kept for re-executing it.
std::vector<std::string>& saved_args() {
    static auto* v = new std::vector<std::string>();
    return *v;
}

std::atomic<bool> init_called{false};
std::mutex server_mtx;
int server_fd = -1;     // the parent's end of the fork server's socket
pid_t server_owner = 0; // the process that started it

// ---- the worker ---------------------------------------------------------------------------------

[[noreturn]] void quit(int code) {
    ::_exit(code);
}

void send_all(int fd, const std::string& f) {
    std::size_t off = 0;
    while (off < f.size()) {
        ssize_t n = ::send(fd, f.data() + off, f.size() - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            quit(0); // the parent is gone
        }
        off += static_cast<std::size_t>(n);
    }
}

struct frame {
    msg type;
    std::uint64_t id;
    std::string payload;
};

class worker {
public:
    explicit worker(int fd) : fd_(fd) {}

    [[noreturn]] void run() {
        for (;;) {
            if (queue_.empty()) {
                read_some(true);
                continue;
            }
            frame f = std::move(queue_.front());
            queue_.pop_front();
            switch (f.type) {
            case msg::init:
                start(f);
                break;
            case msg::cancel:
                cancelled_.insert(f.id);
                break;
            case msg::call:
                // Cancellations sent meanwhile: pick them up before starting the call.
                while (read_some(false)) {
                }
                take_cancels();
                if (cancelled_.erase(f.id) != 0) {
                    reply(msg::skipped, f.id, {});
                } else {
                    call(f);
                }
                break;
            default:
                quit(4); // protocol error
            }
        }
    }

private:
    // Reads what is there (blocking: at least something); false when nothing was there.
    bool read_some(bool block) {
        std::size_t old = in_.size();
        in_.resize(old + (std::size_t{1} << 18));
        ssize_t n;
        do {
            n = ::recv(fd_, in_.data() + old, in_.size() - old, block ? 0 : MSG_DONTWAIT);
        } while (n < 0 && errno == EINTR);
        if (n == 0) {
            quit(0); // the parent closed its end: the pool is done with this worker
        }
        if (n < 0) {
            in_.resize(old);
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return false;
            }
            quit(0);
        }
        in_.resize(old + static_cast<std::size_t>(n));
        parse();
        return true;
    }

    void parse() {
        std::size_t pos = 0;
        while (in_.size() - pos >= header_size) {
            std::uint32_t len = get_u32(in_.data() + pos);
            if (len < header_size - 4) {
                quit(4);
            }
            if (in_.size() - pos - 4 < len) {
                break;
            }
            frame f{static_cast<msg>(in_[pos + 4]), get_u64(in_.data() + pos + 5),
                    in_.substr(pos + header_size, len - (header_size - 4))};
            queue_.push_back(std::move(f));
            pos += 4 + std::size_t{len};
        }
        in_.erase(0, pos);
    }

    void take_cancels() {
        for (auto it = queue_.begin(); it != queue_.end();) {
            if (it->type == msg::cancel) {
                cancelled_.insert(it->id);
                it = queue_.erase(it);
            } else {
                ++it;
            }
        }
    }

    void reply(msg type, std::uint64_t id, std::string body) {
        // body already starts with header_size reserved bytes when not empty
        if (body.empty()) {
            body.assign(header_size, '\0');
        }
        finish_frame(body, type, id);
        send_all(fd_, body);
    }

    static std::string error_body(const char* mangled, const std::string& what) {
        std::string b(header_size, '\0');
        put_str(b, mangled);
        put_str(b, demangle(mangled));
        put_str(b, what);
        return b;
    }

    // Runs a call; the error, when there is one, as an error body.
    std::string invoke(std::string_view payload, std::string& out) {
        std::string_view key;
        std::string_view args;
        if (!split_call(payload, key, args)) {
            quit(4);
        }
        remote_invoker inv = find_remote(key);
        if (inv == nullptr) {
            return error_body(typeid(remote_registration_error).name(),
                              "no function registered as '" + std::string(key) + "' in the worker");
        }
        try {
            inv(args, out);
            return {};
        } catch (const std::exception& e) {
            return error_body(typeid(e).name(), e.what());
        } catch (...) {
            const std::type_info* t = abi::__cxa_current_exception_type();
            return error_body(t != nullptr ? t->name() : "unknown", "");
        }
    }

    void start(const frame& f) {
        if (f.payload.size() < 8) {
            quit(4);
        }
        max_message_ = get_u64(f.payload.data());
        std::string_view rest = std::string_view(f.payload).substr(8);
        if (!rest.empty()) {
            std::string out(header_size, '\0');
            std::string err = invoke(rest, out);
            if (!err.empty()) {
                reply(msg::init_failed, 0, std::move(err));
                quit(3);
            }
        }
        reply(msg::ready, 0, {});
    }

    void call(const frame& f) {
        std::string out(header_size, '\0');
        std::string err = invoke(f.payload, out);
        if (!err.empty()) {
            reply(msg::error, f.id, std::move(err));
            return;
        }
        if (out.size() - header_size > max_message_) {
            reply(msg::error, f.id,
                  error_body(typeid(message_too_large).name(),
                             "the result is " + std::to_string(out.size() - header_size) +
                                 " bytes, over options.max_message (" +
                                 std::to_string(max_message_) + ")"));
            return;
        }
        reply(msg::ok, f.id, std::move(out));
    }

    int fd_;
    std::string in_;
    std::deque<frame> queue_;
    std::unordered_set<std::uint64_t> cancelled_;
    std::uint64_t max_message_ = ~std::uint64_t{0};
};

// ---- the fork server ------------------------------------------------------------------------

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

[[noreturn]] void fork_server_main(int ctl) {
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
    int sfd = ::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    const pid_t self = ::getpid();
    std::set<pid_t> live;

    auto reap = [&] {
        for (;;) {
            int st = 0;
            pid_t p = ::waitpid(-1, &st, WNOHANG);
            if (p <= 0) {
                return;
            }
            live.erase(p);
            fs_msg m;
            m.type = fs_exited;
            m.pid = p;
            m.arg = st;
            send_msg(ctl, m);
        }
    };

    for (;;) {
        pollfd fds[2] = {{ctl, POLLIN, 0}, {sfd, POLLIN, 0}};
        int n = ::poll(fds, sfd >= 0 ? 2 : 1, sfd >= 0 ? -1 : 100);
        if (n < 0 && errno != EINTR) {
            break;
        }
        if (sfd >= 0 && (fds[1].revents & POLLIN) != 0) {
            signalfd_siginfo si[8];
            while (::read(sfd, si, sizeof si) > 0) {
            }
        }
        reap();
        if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
            continue;
        }
        fs_msg m;
        char cbuf[CMSG_SPACE(sizeof(int))];
        iovec iov{&m, sizeof m};
        msghdr mh{};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = cbuf;
        mh.msg_controllen = sizeof cbuf;
        ssize_t r = ::recvmsg(ctl, &mh, MSG_CMSG_CLOEXEC);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break; // the parent is gone
        }
        int fd = -1;
        for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
            }
        }
        if (m.type == fs_kill) {
            if (live.count(m.pid) != 0) {
                ::kill(m.pid, m.arg);
            }
            continue;
        }
        if ((m.type != fs_spawn_fork && m.type != fs_spawn_exec) || fd < 0) {
            if (fd >= 0) {
                ::close(fd);
            }
            continue;
        }
        pid_t pid = ::fork();
        if (pid == 0) {
            ::close(ctl);
            if (sfd >= 0) {
                ::close(sfd);
            }
            sigset_t none;
            sigemptyset(&none);
            ::sigprocmask(SIG_SETMASK, &none, nullptr);
            ::signal(SIGPIPE, SIG_DFL);
            ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
            if (::getppid() != self) {
                ::_exit(1);
            }
            if (m.type == fs_spawn_exec) {
                exec_helper(worker_env, fd);
            }
            ::prctl(PR_SET_NAME, "weft-worker", 0, 0, 0);
            worker_main(fd);
        }
        fs_msg out;
        out.token = m.token;
        if (pid < 0) {
            out.type = fs_spawn_failed;
            out.arg = errno;
        } else {
            live.insert(pid);
            out.type = fs_spawned;
            out.pid = pid;
        }
        ::close(fd);
        send_msg(ctl, out);
    }
    // The parent is gone or closed us: no worker may outlive it.
    for (pid_t p : live) {
        ::kill(p, SIGKILL);
    }
    while (!live.empty()) {
        int st = 0;
        pid_t p = ::waitpid(-1, &st, 0);
        if (p < 0 && errno != EINTR) {
            break;
        }
        live.erase(p);
    }
    ::_exit(0);
}

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

/// Starts a fork server for this process (server_mtx held).
void start_fork_server() {
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
    server_fd = sv[0];
    server_owner = parent;
}

int env_fd(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr) {
        return -1;
    }
    int fd = std::atoi(v);
    ::unsetenv(name);
    return fd;
}

} // namespace

[[noreturn]] void worker_main(int fd) {
    ::signal(SIGPIPE, SIG_IGN);
    worker w(fd);
    w.run();
}

int fork_server_socket() {
    if (!init_called.load(std::memory_order_acquire)) {
        throw invalid_state_error(
            "weft::process_pool needs weft::init(argc, argv) as the first statement of main() "
            "(#include <weft/executors/init.hpp>): it starts the fork server that workers are "
            "forked from, before any thread exists");
    }
    std::lock_guard lock(server_mtx);
    if (server_owner != ::getpid()) {
        // A forked child of the program: the fork server belongs to the parent.
        if (server_fd >= 0) {
            ::close(server_fd);
            server_fd = -1;
        }
        start_fork_server();
    }
    return server_fd;
}

} // namespace detail::pp

void init(int argc, char** argv) {
    using namespace detail::pp;
    if (int fd = env_fd(worker_env); fd >= 0) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        worker_main(fd);
    }
    if (init_called.exchange(true, std::memory_order_acq_rel)) {
        return;
    }
    auto& args = saved_args();
    for (int i = 0; i < argc && argv != nullptr && argv[i] != nullptr; ++i) {
        args.emplace_back(argv[i]);
    }
    if (int fd = env_fd(server_env); fd >= 0) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        fork_server_main(fd);
    }
    std::lock_guard lock(server_mtx);
    start_fork_server();
}

bool initialized() noexcept {
    return detail::pp::init_called.load(std::memory_order_acquire);
}

} // namespace weft
