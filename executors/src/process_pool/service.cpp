// The process pool service's I/O thread (see service.hpp): waits on the epoll set, hands each
// event to its owner (the eventfd is drained, the fork server's records update their workers, a
// worker's socket is flushed or read by its pool), then reads what reaped workers left, runs the
// deadlines and the pools' upkeep, and completes the collected futures once the lock is
// released. Also here: starting the service for this process.

#include "service.hpp"

#include "helper_processes.hpp"
#include "pool.hpp"

#include <weft/runtime/error.hpp>
#include <weft/runtime/log.hpp>

#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

namespace weft::detail::pp {

namespace {

constexpr std::uint64_t eventfd_tag = 0;
constexpr std::uint64_t fork_server_tag = 1;

std::mutex service_mtx;
service* the_service = nullptr; // never destroyed: its thread runs until the process ends
pid_t service_pid = 0;          // the process the_service belongs to

void epoll_add(int ep, int fd, std::uint64_t tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/// epoll_wait's timeout for a deadline: -1 for none, else the milliseconds left (rounded up).
int timeout_for(clock::time_point next) {
    if (next == never) {
        return -1;
    }
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(next - clock::now()).count() + 1;
    return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
}

} // namespace

service& service::get() {
    std::lock_guard lock(service_mtx);
    if (the_service != nullptr && service_pid == ::getpid()) {
        return *the_service;
    }
    if (the_service != nullptr) {
        // A forked child: the parent's service (and its thread) are not ours. Close its epoll and
        // eventfd without touching its lock or maps, which a parent thread may have been using
        // at the fork (the copies of the parent's worker sockets stay open in this child).
        ::close(the_service->ep_);
        ::close(the_service->evfd_);
    }
    const int ctl = fork_server_socket();
    the_service = new service(ctl);
    service_pid = ::getpid();
    return *the_service;
}

service::service(int ctl_fd) : forks_(ctl_fd) {
    ep_ = ::epoll_create1(EPOLL_CLOEXEC);
    evfd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (ep_ < 0 || evfd_ < 0) {
        throw error(std::string("weft::process_pool: epoll/eventfd failed: ") +
                    std::strerror(errno));
    }
    epoll_add(ep_, evfd_, eventfd_tag);
    forks_.open(ep_, fork_server_tag, evfd_);
    std::thread([this] { run(); }).detach();
}

void service::remove_pool(pool_impl& p) noexcept {
    pools_.erase(std::find(pools_.begin(), pools_.end(), &p));
}

void service::watch(worker& w, int fd) {
    by_token_[w.token()] = &w;
    w.io().open(ep_, fd, w.token());
}

void service::forget(const worker& w) noexcept {
    by_token_.erase(w.token());
    if (w.pid() != 0) {
        auto it = by_pid_.find(w.pid());
        if (it != by_pid_.end() && it->second == &w) {
            by_pid_.erase(it);
        }
    }
}

void service::wake() const noexcept {
    std::uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(evfd_, &one, sizeof one);
}

// ---- the I/O thread -----------------------------------------------------------------------------

void service::run() {
    std::vector<epoll_event> evs(64);
    int timeout_ms = -1;
    for (;;) {
        int n = ::epoll_wait(ep_, evs.data(), static_cast<int>(evs.size()), timeout_ms);
        if (n < 0 && errno != EINTR) {
            log::get("weft.exec")
                .error("weft::process_pool: epoll_wait failed: {}", std::strerror(errno));
            return;
        }
        completions comps;
        {
            std::lock_guard lock(m_);
            next_wake_ = handle(evs.data(), n, comps);
            timeout_ms = timeout_for(next_wake_);
        }
        deliver(comps);
    }
}

clock::time_point service::handle(const epoll_event* evs, int n, completions& comps) {
    for (int i = 0; i < n; ++i) {
        const std::uint64_t tag = evs[i].data.u64;
        if (tag == eventfd_tag) {
            std::uint64_t v;
            while (::read(evfd_, &v, sizeof v) > 0) {
            }
        } else if (tag == fork_server_tag) {
            on_fork_server();
        } else {
            on_worker_event(tag, evs[i].events, comps);
        }
    }
    // A request to the fork server failed (here or on another thread, which woke us): end the
    // link, whether or not its socket reads EOF.
    if (forks_.state() == fork_link::link_state::failed) {
        on_fork_server();
    }
    // A worker reported dead: read what it left, then finalise it.
    for (pool_impl* p : pools_) {
        p->read_reaped(comps);
    }
    clock::time_point next = run_deadlines(comps);
    for (pool_impl* p : pools_) {
        p->maintain(comps);
    }
    return std::min(next, run_deadlines(comps));
}

void service::on_worker_event(std::uint64_t token, std::uint32_t events, completions& comps) {
    auto it = by_token_.find(token);
    if (it == by_token_.end()) {
        return;
    }
    worker& w = *it->second;
    if ((events & EPOLLOUT) != 0) {
        w.io().flush();
    }
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) != 0) {
        w.pool().read(w, comps);
    }
}

clock::time_point service::run_deadlines(completions& comps) {
    const auto now = clock::now();
    clock::time_point next = never;
    for (pool_impl* p : pools_) {
        next = std::min(next, p->run_deadlines(now, comps));
    }
    return next;
}

// ---- the fork server's records ------------------------------------------------------------------

void service::on_fork_server() {
    fs_msg msg;
    for (;;) {
        switch (forks_.receive(msg)) {
        case fork_link::recv_status::empty:
            if (!forks_.dead()) {
                return;
            }
            // A request failed: the records sent before it are read; the link ends now.
            fork_server_gone();
            return;
        case fork_link::recv_status::gone:
            fork_server_gone();
            return;
        case fork_link::recv_status::record:
            on_fork_record(msg);
            break;
        }
    }
}

void service::on_fork_record(const fs_msg& msg) {
    switch (msg.type) {
    case fs_spawned: {
        auto it = by_token_.find(msg.token);
        if (it != by_token_.end()) {
            by_pid_[msg.pid] = it->second;
            it->second->pool().worker_spawned(*it->second, msg.pid);
        }
        break;
    }
    case fs_spawn_failed: {
        auto it = by_token_.find(msg.token);
        if (it != by_token_.end()) {
            it->second->set_start_error(std::string("fork failed: ") + std::strerror(msg.arg));
            it->second->set_reaped(-1);
            it->second->io().close();
        }
        break;
    }
    case fs_exited: {
        auto it = by_pid_.find(msg.pid);
        if (it != by_pid_.end()) {
            // Read what it wrote before it died, then close its socket (read_reaped).
            it->second->set_reaped(msg.arg);
            it->second->set_sigkill_at(never);
        }
        break;
    }
    default:
        break;
    }
}

void service::fork_server_gone() {
    if (!forks_.end()) {
        return; // ended already: its workers were taken for dead then
    }
    log::get("weft.exec")
        .error("weft::process_pool: the fork server is gone; workers cannot be started");
    for (auto& [token, w] : by_token_) {
        (void)token;
        if (w->reaped()) {
            continue; // its exit status came first
        }
        if (w->pid() == 0) {
            w->set_start_error("the fork server is gone");
            w->set_reaped(-1); // never started, or died with the server unreported
        } else {
            w->set_reaped(SIGKILL); // killed with the server (PDEATHSIG), or by it as it ends
        }
    }
}

} // namespace weft::detail::pp
