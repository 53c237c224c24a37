// weft::init: the first statement of main() in a program with process pools. It decides what
// this process is (a re-executed worker or fork server, which never return, or the program),
// saves the program's arguments for re-executing it, and starts the fork server while the
// program still has one thread. Also here: the fork server's socket as the pool service asks
// for it (a new fork server for a forked child of the program).

#include "helper_processes.hpp"

#if WEFT_WITH_REDIS_POOL
#include "../redis_pool/worker_mode.hpp"
#endif

#include <weft/executors/init.hpp>
#include <weft/runtime/error.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

namespace weft {

namespace detail::pp {

namespace {

std::atomic<bool> init_called{false};
std::mutex server_mtx;
int server_fd = -1;     // the parent's end of the fork server's socket (server_mtx)
pid_t server_owner = 0; // the process that started it (server_mtx)

int env_fd(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr) {
        return -1;
    }
    int fd = std::atoi(v);
    ::unsetenv(name);
    return fd;
}

/// Starts this process's fork server (server_mtx held).
void own_fork_server() {
    server_fd = start_fork_server();
    server_owner = ::getpid();
}

/// When the environment variable `name` gives this process a helper's socket, runs that helper
/// (helper_main never returns).
void run_helper_if_asked(const char* name, void (*helper_main)(int)) {
    if (int fd = env_fd(name); fd >= 0) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        helper_main(fd);
    }
}

} // namespace

std::vector<std::string>& saved_args() {
    static auto* v = new std::vector<std::string>();
    return *v;
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
        own_fork_server();
    }
    return server_fd;
}

} // namespace detail::pp

void init(int argc, char** argv) {
    using namespace detail::pp;
    run_helper_if_asked(worker_env, &worker_main);
    if (init_called.exchange(true, std::memory_order_acq_rel)) {
        return;
    }
    auto& args = saved_args();
    for (int i = 0; i < argc && argv != nullptr && argv[i] != nullptr; ++i) {
        args.emplace_back(argv[i]);
    }
    run_helper_if_asked(server_env, &fork_server_main);
    {
        std::lock_guard lock(server_mtx);
        own_fork_server();
    }
#if WEFT_WITH_REDIS_POOL
    detail::rp::run_worker_if_asked(argc, argv); // serves and exits when asked
#endif
}

bool initialized() noexcept {
    return detail::pp::init_called.load(std::memory_order_acquire);
}

} // namespace weft
