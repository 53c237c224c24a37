// weft::process_pool: the parent side. One service per process owns an I/O thread (epoll over
// the worker sockets, the fork server's socket and an eventfd) and the state of every pool,
// under one mutex. Submitting threads queue a call and, when a worker has room, write it to the
// worker's socket themselves; the I/O thread reads results, notices dead workers (socket EOF
// plus the exit status the fork server reports after reaping), enforces deadlines, and
// completes futures outside the lock.

#include "helper_processes.hpp"
#include "protocol.hpp"

#include <weft/executors/process_pool.hpp>
#include <weft/runtime/log.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace weft {

namespace detail {

namespace ppool {

using clock = std::chrono::steady_clock;
constexpr clock::time_point never = clock::time_point::max();
/// How long a cancelled call that became its worker's head may take to be reported skipped
/// before the worker is killed (it may have started just before the cancellation arrived).
constexpr auto abandoned_head_wait = std::chrono::milliseconds(20);

enum where : int { w_new = 0, w_queued, w_sent, w_finished, w_gone };

std::atomic<std::uint64_t> next_call_id{1};

struct completion {
    enum kind { value, error, cancel } k;
    remote_call_rec* rec;
    std::string bytes;
    std::exception_ptr ex;
};
using completions = std::vector<completion>;

class service;

} // namespace ppool
using namespace ppool;

class pool_impl;
/// Counts rec as started (once) when it ends without running.
void begin_once(pool_impl& p, remote_call_rec* rec) noexcept;

struct pool_worker {
    enum class st { spawning, starting, ready, retiring, killed };
    pool_impl* pool = nullptr;
    std::uint64_t token = 0;
    int fd = -1;
    pid_t pid = 0;
    st state = st::spawning;
    std::string in;
    std::string out;
    std::size_t out_off = 0;
    bool epollout = false;
    std::deque<remote_call_rec*> fifo;
    std::size_t sent_total = 0;
    clock::time_point head_since{};
    clock::time_point abandoned_deadline = never;
    clock::time_point sigkill_at = never;
    bool eof = false;    // our end is closed
    bool exited = false; // the fork server reaped it
    int status = 0;
    const char* kill_reason = nullptr;
    bool kill_on_spawn = false;
    bool retired = false; // the pool closed it on purpose (idle when stopping, used up)
    std::string init_error;
};

class pool_impl final : public executor_core {
public:
    pool_impl(process_pool::options o, service& s);

    [[nodiscard]] std::size_t max_workers() const noexcept override { return target; }

    process_pool::options opts;
    service& svc;
    std::size_t target;
    std::string init_frame;
    std::vector<std::unique_ptr<pool_worker>> workers;
    std::deque<remote_call_rec*> queue;
    std::size_t init_failures = 0;
    bool broken = false;
    std::string broken_msg;
    bool stopping = false;
    std::uint64_t started = 0;

protected:
    bool enqueue(job& /*j*/, bool /*wait_for_room*/) override { return true; }
    void stop_workers(bool wait) noexcept override;
};

namespace ppool {

void deliver(completions& comps);

class service {
public:
    static service& get();

    std::mutex m;
    std::condition_variable changed; // a worker exited (pool destructors wait for it)
    int ep = -1;
    int evfd = -1;
    int ctl = -1;
    bool server_dead = false;
    std::uint64_t next_token = 16;
    clock::time_point next_wake = never;
    std::unordered_map<std::uint64_t, pool_worker*> by_token;
    std::unordered_map<pid_t, pool_worker*> by_pid;
    std::vector<pool_impl*> pools;

    explicit service(int ctl_fd) : ctl(ctl_fd) {
        ep = ::epoll_create1(EPOLL_CLOEXEC);
        evfd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (ep < 0 || evfd < 0) {
            throw error(std::string("weft::process_pool: epoll/eventfd failed: ") +
                        std::strerror(errno));
        }
        add(evfd, 0, EPOLLIN);
        add(ctl, 1, EPOLLIN);
        std::thread([this] { run(); }).detach();
    }

    void add(int fd, std::uint64_t tag, std::uint32_t events) const {
        epoll_event ev{};
        ev.events = events;
        ev.data.u64 = tag;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }

    void wake() const {
        std::uint64_t one = 1;
        [[maybe_unused]] auto r = ::write(evfd, &one, sizeof one);
    }

    void wake_for(clock::time_point t) const {
        if (t < next_wake) {
            wake();
        }
    }

    void send_ctl(const pp::fs_msg& msg, int fd = -1) {
        iovec iov{const_cast<pp::fs_msg*>(&msg), sizeof msg};
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
        while (::sendmsg(ctl, &mh, MSG_NOSIGNAL) < 0) {
            if (errno != EINTR) {
                server_dead = true;
                return;
            }
        }
    }

    // ---- workers (all under m) -------------------------------------------------------------

    void spawn(pool_impl& p) {
        int sv[2];
        auto w = std::make_unique<pool_worker>();
        w->pool = &p;
        w->token = next_token++;
        pool_worker* raw = w.get();
        p.workers.push_back(std::move(w));
        ++p.started;
        if (server_dead || ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
            raw->init_error = server_dead ? "the fork server is gone"
                                          : std::string("socketpair: ") + std::strerror(errno);
            raw->eof = raw->exited = true;
            raw->status = -1;
            return; // finalised by maintain()
        }
        ::fcntl(sv[0], F_SETFL, ::fcntl(sv[0], F_GETFL) | O_NONBLOCK);
        raw->fd = sv[0];
        by_token[raw->token] = raw;
        add(raw->fd, raw->token, EPOLLIN | EPOLLRDHUP);
        pp::fs_msg msg;
        msg.type = pp::fs_spawn_fork;
        if (p.opts.start == process_pool::start_method::spawn) {
            msg.type = pp::fs_spawn_exec;
        }
        msg.token = raw->token;
        send_ctl(msg, sv[1]);
        ::close(sv[1]);
        raw->out = p.init_frame;
        flush(*raw);
    }

    void close_fd(pool_worker& w) {
        if (w.fd >= 0) {
            ::epoll_ctl(ep, EPOLL_CTL_DEL, w.fd, nullptr);
            ::close(w.fd);
            w.fd = -1;
        }
        w.eof = true;
    }

    void set_epollout(pool_worker& w, bool on) {
        if (w.epollout == on || w.fd < 0) {
            return;
        }
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP | (on ? static_cast<std::uint32_t>(EPOLLOUT) : 0U);
        ev.data.u64 = w.token;
        ::epoll_ctl(ep, EPOLL_CTL_MOD, w.fd, &ev);
        w.epollout = on;
    }

    void flush(pool_worker& w) {
        while (w.fd >= 0 && w.out_off < w.out.size()) {
            ssize_t n = ::send(w.fd, w.out.data() + w.out_off, w.out.size() - w.out_off,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    set_epollout(w, true);
                    return;
                }
                // The worker is dying: its EOF and exit status follow.
                w.out.clear();
                w.out_off = 0;
                set_epollout(w, false);
                return;
            }
            w.out_off += static_cast<std::size_t>(n);
        }
        w.out.clear();
        w.out_off = 0;
        set_epollout(w, false);
    }

    void kill(pool_worker& w, const char* reason) {
        if (w.state == pool_worker::st::killed) {
            return;
        }
        w.state = pool_worker::st::killed;
        w.kill_reason = reason;
        w.abandoned_deadline = never;
        if (w.exited) {
            return;
        }
        if (w.pid == 0) {
            w.kill_on_spawn = true;
            return;
        }
        send_kill(w);
    }

    void send_kill(pool_worker& w) {
        pp::fs_msg msg;
        msg.type = pp::fs_kill;
        msg.pid = w.pid;
        const auto grace = w.pool->opts.cancel_grace;
        if (grace.count() > 0 && w.sigkill_at == never) {
            msg.arg = SIGTERM;
            w.sigkill_at = clock::now() + grace;
            wake_for(w.sigkill_at);
        } else {
            msg.arg = SIGKILL;
            w.sigkill_at = never;
        }
        send_ctl(msg);
    }

    void end_rec(remote_call_rec* rec, executor_core::job_end how) {
        rec->where = w_gone;
        rec->ended = true;
        pool_impl* p = rec->pool;
        rec->release();
        p->end_job(how); // may let the pool's destructor go on once m is released
    }

    void new_head(pool_worker& w) {
        w.head_since = clock::now();
        w.abandoned_deadline = never;
        if (w.fifo.empty()) {
            return;
        }
        if (w.fifo.front()->abandoned) {
            w.abandoned_deadline = w.head_since + abandoned_head_wait;
            wake_for(w.abandoned_deadline);
        } else if (w.pool->opts.call_timeout.count() > 0) {
            wake_for(w.head_since + w.pool->opts.call_timeout);
        }
    }

    static bool starting_workers(const pool_impl& p) {
        for (const auto& w : p.workers) {
            if (w->state == pool_worker::st::spawning || w->state == pool_worker::st::starting) {
                return true;
            }
        }
        return false;
    }

    void pump(pool_impl& p, completions& comps) {
        while (!p.queue.empty()) {
            pool_worker* best = nullptr;
            for (auto& w : p.workers) {
                if (w->state != pool_worker::st::ready || w->fd < 0 ||
                    w->fifo.size() >= p.opts.max_batch ||
                    (p.opts.max_tasks_per_child != 0 &&
                     w->sent_total >= p.opts.max_tasks_per_child)) {
                    continue;
                }
                if (best == nullptr || w->fifo.size() < best->fifo.size()) {
                    best = w.get();
                }
            }
            if (best == nullptr) {
                break;
            }
            if (!best->fifo.empty() && starting_workers(p)) {
                break; // rather than behind a running call, wait for the worker about to start
            }
            remote_call_rec* rec = p.queue.front();
            p.queue.pop_front();
            const bool first = !rec->begun;
            rec->begun = true;
            if (first && !p.begin_job(false)) { // shutdown(cancel_pending)
                rec->pool_cancelled = true;
                rec->where = w_finished;
                comps.push_back({completion::cancel, rec, {}, nullptr});
                continue;
            }
            rec->where = w_sent;
            rec->worker = best;
            best->fifo.push_back(rec);
            ++best->sent_total;
            if (best->fifo.size() == 1) {
                new_head(*best);
            }
            best->out.append(rec->frame);
            if (best->out.size() - best->out_off > (std::size_t{1} << 16)) {
                flush(*best);
            }
        }
        for (auto& w : p.workers) {
            if (!w->out.empty() && !w->epollout) {
                flush(*w);
            }
        }
    }

    void maintain(pool_impl& p, completions& comps) {
        // Finalise the workers that are gone.
        for (std::size_t i = 0; i < p.workers.size();) {
            pool_worker& w = *p.workers[i];
            if (w.eof && w.exited) {
                finalize(p, i, comps);
            } else {
                ++i;
            }
        }
        if (p.broken) {
            return;
        }
        // Retire idle workers when stopping or recycling.
        const bool idle_pool = p.stopping && p.queue.empty();
        for (auto& w : p.workers) {
            const bool used_up =
                p.opts.max_tasks_per_child != 0 && w->sent_total >= p.opts.max_tasks_per_child;
            if ((w->state == pool_worker::st::ready || w->state == pool_worker::st::starting) &&
                w->fifo.empty() && (idle_pool || used_up)) {
                w->state = pool_worker::st::retiring;
                w->retired = true;
                close_fd(*w);
            }
        }
        // Keep the pool at its size.
        if (!p.stopping || !p.queue.empty()) {
            std::size_t live = 0;
            for (auto& w : p.workers) {
                if (w->state == pool_worker::st::spawning ||
                    w->state == pool_worker::st::starting || w->state == pool_worker::st::ready) {
                    ++live;
                }
            }
            while (live < p.target) {
                spawn(p);
                ++live;
            }
        }
        pump(p, comps);
    }

    static std::string describe_status(int st) {
        if (st == -1) {
            return "could not be started";
        }
        if (WIFSIGNALED(st)) {
            const char* name = ::sigabbrev_np(WTERMSIG(st));
            return "was killed by signal " + std::to_string(WTERMSIG(st)) +
                   (name != nullptr ? std::string(" (SIG") + name + ")" : std::string());
        }
        if (WIFEXITED(st)) {
            return "exited with code " + std::to_string(WEXITSTATUS(st));
        }
        return "ended with status " + std::to_string(st);
    }

    void finalize(pool_impl& p, std::size_t index, completions& comps) {
        std::unique_ptr<pool_worker> w = std::move(p.workers[index]);
        p.workers.erase(p.workers.begin() + static_cast<std::ptrdiff_t>(index));
        by_token.erase(w->token);
        if (w->pid != 0) {
            auto it = by_pid.find(w->pid);
            if (it != by_pid.end() && it->second == w.get()) {
                by_pid.erase(it);
            }
        }
        close_fd(*w);
        const bool never_ready =
            w->state == pool_worker::st::spawning || w->state == pool_worker::st::starting;
        // The call it was running (the head of its queue) fails; unless the pool killed it for
        // that call, which was completed then.
        if (!w->fifo.empty() && w->kill_reason == nullptr) {
            remote_call_rec* head = w->fifo.front();
            w->fifo.pop_front();
            if (head->abandoned) {
                end_rec(head, executor_core::job_end::discarded);
            } else {
                std::string msg = "process_pool '" + std::string(p.opts.name) +
                                  "': the worker (pid " + std::to_string(w->pid) + ") running '" +
                                  head->name + "' " + describe_status(w->status);
                const bool sig = w->status != -1 && WIFSIGNALED(w->status);
                head->where = w_finished;
                comps.push_back(
                    {completion::error,
                     head,
                     {},
                     std::make_exception_ptr(worker_crashed(
                         msg, w->pid, sig || w->status == -1 ? -1 : WEXITSTATUS(w->status),
                         sig ? WTERMSIG(w->status) : 0))});
            }
        }
        // The calls queued behind it never started there: they go back to the pool's queue.
        for (auto it = w->fifo.rbegin(); it != w->fifo.rend(); ++it) {
            remote_call_rec* rec = *it;
            if (rec->abandoned) {
                end_rec(rec, executor_core::job_end::cancelled);
            } else {
                rec->where = w_queued;
                rec->worker = nullptr;
                p.queue.push_front(rec);
            }
        }
        w->fifo.clear();
        if (never_ready && w->kill_reason == nullptr && !w->retired && !p.broken) {
            ++p.init_failures;
            std::string why = !w->init_error.empty() ? w->init_error
                                                     : "the worker " + describe_status(w->status) +
                                                           " before it was ready";
            log::get("weft.exec")
                .warn("process_pool '{}': a worker failed to start ({} of {} in a row): {}",
                      p.opts.name, p.init_failures, p.opts.max_init_failures, why);
            if (p.init_failures >= std::max<std::size_t>(1, p.opts.max_init_failures)) {
                p.broken = true;
                p.broken_msg =
                    "process_pool '" + std::string(p.opts.name) + "': workers failed to " +
                    "start " + std::to_string(p.init_failures) +
                    " times in a row; the pool stopped starting them. Last failure: " + why;
                log::get("weft.exec").error("{}", p.broken_msg);
                while (!p.queue.empty()) {
                    remote_call_rec* rec = p.queue.front();
                    p.queue.pop_front();
                    begin_once(p, rec);
                    rec->where = w_finished;
                    comps.push_back({completion::error,
                                     rec,
                                     {},
                                     std::make_exception_ptr(worker_init_error(p.broken_msg))});
                }
            }
        }
        changed.notify_all();
    }

    // ---- frames from a worker ----------------------------------------------------------------

    std::exception_ptr decode_error(const std::string& fn, std::string_view payload) {
        pp::error_report r;
        if (!pp::get_error_report(payload, r)) {
            return std::make_exception_ptr(
                remote_error(fn, "unknown", "malformed error report from the worker"));
        }
        if (remote_exception_factory make = find_remote_exception(r.mangled)) {
            try {
                return make(r.what);
            } catch (...) {
                return std::current_exception();
            }
        }
        return std::make_exception_ptr(remote_error(fn, r.readable, r.what));
    }

    void on_frame(pool_worker& w, pp::msg type, std::uint64_t id, std::string_view payload,
                  completions& comps) {
        pool_impl& p = *w.pool;
        switch (type) {
        case pp::msg::ready:
            if (w.state == pool_worker::st::starting || w.state == pool_worker::st::spawning) {
                w.state = pool_worker::st::ready;
                p.init_failures = 0;
            }
            return;
        case pp::msg::init_failed: {
            pp::error_report r;
            (void)pp::get_error_report(payload, r); // what there is of it
            w.init_error = "the initializer '" + p.opts.initializer.name() + "' raised " +
                           r.readable + (r.what.empty() ? "" : ": " + r.what);
            return;
        }
        case pp::msg::ok:
        case pp::msg::error:
        case pp::msg::skipped:
            break;
        default:
            kill(w, nullptr);
            return;
        }
        if (w.fifo.empty() || w.fifo.front()->id != id) {
            log::get("weft.exec")
                .error("process_pool '{}': worker {} answered an unexpected call; killing it",
                       p.opts.name, w.pid);
            kill(w, nullptr);
            return;
        }
        remote_call_rec* rec = w.fifo.front();
        w.fifo.pop_front();
        new_head(w);
        if (rec->abandoned) {
            end_rec(rec, type == pp::msg::skipped ? executor_core::job_end::cancelled
                                                  : executor_core::job_end::discarded);
            return;
        }
        rec->where = w_finished;
        if (type == pp::msg::ok) {
            comps.push_back({completion::value, rec, std::string(payload), nullptr});
        } else if (type == pp::msg::error) {
            comps.push_back({completion::error, rec, {}, decode_error(rec->name, payload)});
        } else { // skipped without being cancelled: cannot happen; treat as lost
            comps.push_back({completion::error,
                             rec,
                             {},
                             std::make_exception_ptr(remote_error(rec->name, "weft::protocol",
                                                                  "the worker skipped the call"))});
        }
    }

    void read_worker(pool_worker& w, completions& comps) {
        const std::size_t limit = w.pool->opts.max_message + (std::size_t{1} << 20);
        for (;;) {
            if (w.fd < 0) {
                return;
            }
            std::size_t old = w.in.size();
            w.in.resize(old + (std::size_t{1} << 18));
            ssize_t n = ::recv(w.fd, w.in.data() + old, w.in.size() - old, MSG_DONTWAIT);
            if (n < 0) {
                w.in.resize(old);
                if (errno == EINTR) {
                    continue;
                }
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    break;
                }
                n = 0; // reset: the worker is gone
            }
            if (n == 0) {
                w.in.resize(old);
                close_fd(w);
                break;
            }
            w.in.resize(old + static_cast<std::size_t>(n));
            std::size_t pos = 0;
            pp::frame f{};
            std::size_t used = 0;
            for (;;) {
                const pp::decode_status st =
                    pp::decode_frame(std::string_view(w.in).substr(pos), limit, f, used);
                if (st == pp::decode_status::malformed) {
                    log::get("weft.exec")
                        .error("process_pool '{}': worker {} sent a malformed frame; killing it",
                               w.pool->opts.name, w.pid);
                    w.in.clear();
                    pos = 0;
                    kill(w, nullptr);
                    close_fd(w);
                    break;
                }
                if (st == pp::decode_status::partial) {
                    break;
                }
                on_frame(w, f.type, f.id, f.payload, comps);
                pos += used;
            }
            w.in.erase(0, pos);
        }
    }

    void on_ctl() {
        for (;;) {
            pp::fs_msg msg;
            ssize_t n = ::recv(ctl, &msg, sizeof msg, MSG_DONTWAIT);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                return;
            }
            if (n <= 0) {
                server_gone();
                return;
            }
            if (static_cast<std::size_t>(n) != sizeof msg) {
                continue;
            }
            switch (msg.type) {
            case pp::fs_spawned: {
                auto it = by_token.find(msg.token);
                if (it == by_token.end()) {
                    break;
                }
                pool_worker& w = *it->second;
                w.pid = msg.pid;
                by_pid[msg.pid] = &w;
                if (w.state == pool_worker::st::spawning) {
                    w.state = pool_worker::st::starting;
                }
                if (w.kill_on_spawn) {
                    send_kill(w);
                }
                break;
            }
            case pp::fs_spawn_failed: {
                auto it = by_token.find(msg.token);
                if (it == by_token.end()) {
                    break;
                }
                it->second->init_error = std::string("fork failed: ") + std::strerror(msg.arg);
                it->second->exited = true;
                it->second->status = -1;
                close_fd(*it->second);
                break;
            }
            case pp::fs_exited: {
                auto it = by_pid.find(msg.pid);
                if (it == by_pid.end()) {
                    break;
                }
                pool_worker& w = *it->second;
                w.exited = true;
                w.status = msg.arg;
                w.sigkill_at = never;
                // Read what it wrote before it died; then its EOF.
                break;
            }
            default:
                break;
            }
        }
    }

    void server_gone() {
        if (server_dead) {
            return;
        }
        server_dead = true;
        ::epoll_ctl(ep, EPOLL_CTL_DEL, ctl, nullptr);
        log::get("weft.exec")
            .error("weft::process_pool: the fork server is gone; workers cannot be started");
        for (auto& [token, w] : by_token) {
            (void)token;
            w->exited = true;
            w->status = SIGKILL; // its workers died with it (PDEATHSIG)
        }
    }

    clock::time_point check_deadlines(completions& comps) {
        const auto now = clock::now();
        clock::time_point next = never;
        for (pool_impl* p : pools) {
            for (auto& wp : p->workers) {
                pool_worker& w = *wp;
                if (w.sigkill_at != never) {
                    if (w.sigkill_at <= now && !w.exited) {
                        w.sigkill_at = never;
                        pp::fs_msg msg;
                        msg.type = pp::fs_kill;
                        msg.pid = w.pid;
                        msg.arg = SIGKILL;
                        send_ctl(msg);
                    } else {
                        next = std::min(next, w.sigkill_at);
                    }
                }
                if (w.state == pool_worker::st::killed || w.fifo.empty()) {
                    continue;
                }
                remote_call_rec* head = w.fifo.front();
                if (head->abandoned) {
                    if (w.abandoned_deadline <= now) {
                        w.fifo.pop_front();
                        end_rec(head, executor_core::job_end::discarded);
                        kill(w, "cancelled");
                    } else {
                        next = std::min(next, w.abandoned_deadline);
                    }
                    continue;
                }
                if (p->opts.call_timeout.count() > 0) {
                    auto due = w.head_since + p->opts.call_timeout;
                    if (due <= now) {
                        w.fifo.pop_front();
                        head->where = w_finished;
                        comps.push_back(
                            {completion::error,
                             head,
                             {},
                             std::make_exception_ptr(timeout_error(
                                 "process_pool '" + std::string(p->opts.name) + "': call '" +
                                 head->name + "' ran longer than call_timeout (" +
                                 std::to_string(p->opts.call_timeout.count()) +
                                 " ms); its worker was killed"))});
                        kill(w, "timeout");
                    } else {
                        next = std::min(next, due);
                    }
                }
            }
        }
        return next;
    }

    void run() {
        std::vector<epoll_event> evs(64);
        int timeout_ms = -1;
        for (;;) {
            int n = ::epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), timeout_ms);
            if (n < 0 && errno != EINTR) {
                log::get("weft.exec")
                    .error("weft::process_pool: epoll_wait failed: {}", std::strerror(errno));
                return;
            }
            completions comps;
            {
                std::lock_guard lock(m);
                for (int i = 0; i < n; ++i) {
                    const std::uint64_t tag = evs[static_cast<std::size_t>(i)].data.u64;
                    const std::uint32_t events = evs[static_cast<std::size_t>(i)].events;
                    if (tag == 0) {
                        std::uint64_t v;
                        while (::read(evfd, &v, sizeof v) > 0) {
                        }
                        continue;
                    }
                    if (tag == 1) {
                        on_ctl();
                        continue;
                    }
                    auto it = by_token.find(tag);
                    if (it == by_token.end()) {
                        continue;
                    }
                    pool_worker& w = *it->second;
                    if ((events & EPOLLOUT) != 0) {
                        flush(w);
                    }
                    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) != 0) {
                        read_worker(w, comps);
                    }
                }
                // A worker reported dead: read what it left, then finalise it.
                for (pool_impl* p : pools) {
                    for (auto& w : p->workers) {
                        if (w->exited && !w->eof) {
                            read_worker(*w, comps);
                        }
                    }
                }
                clock::time_point next = check_deadlines(comps);
                for (std::size_t i = 0; i < pools.size(); ++i) {
                    maintain(*pools[i], comps);
                }
                next = std::min(next, check_deadlines(comps));
                next_wake = next;
                if (next == never) {
                    timeout_ms = -1;
                } else {
                    auto left =
                        std::chrono::duration_cast<std::chrono::milliseconds>(next - clock::now())
                            .count() +
                        1;
                    timeout_ms = static_cast<int>(std::clamp<long long>(left, 0, 60'000));
                }
            }
            deliver(comps);
        }
    }
};

std::mutex service_mtx;
service* the_service = nullptr;
pid_t service_pid = 0;

service& service::get() {
    std::lock_guard lock(service_mtx);
    if (the_service != nullptr && service_pid == ::getpid()) {
        return *the_service;
    }
    if (the_service != nullptr) {
        // A forked child: the parent's service (and its thread) are not ours. Close its epoll and
        // eventfd without touching its lock or maps, which a parent thread may have been using
        // at the fork (the copies of the parent's worker sockets stay open in this child).
        service* old = the_service;
        ::close(old->ep);
        ::close(old->evfd);
    }
    int ctl = pp::fork_server_socket();
    the_service = new service(ctl);
    service_pid = ::getpid();
    return *the_service;
}

/// Where the pool's own completions go: values, errors, its cancellations.
void deliver(completions& comps) {
    for (auto& c : comps) {
        remote_call_rec* rec = c.rec;
        pool_impl* p = rec->pool;
        if (c.k == completion::cancel) {
            rec->cancel_future();
            rec->release();
            p->end_job(executor_core::job_end::cancelled);
            continue;
        }
        bool delivered = false;
        if (c.k == completion::value) {
            try {
                delivered = rec->deliver(c.bytes);
            } catch (const std::exception& e) {
                delivered = rec->fail(std::make_exception_ptr(
                    remote_error(rec->name, "cereal::Exception",
                                 std::string("could not read the result: ") + e.what())));
            }
        } else {
            delivered = rec->fail(std::move(c.ex));
        }
        if (delivered) {
            const bool ok = c.k == completion::value;
            rec->release();
            p->end_job(ok ? executor_core::job_end::completed : executor_core::job_end::failed);
            continue;
        }
        service& s = p->svc;
        std::lock_guard lock(s.m);
        if (rec->cancel_seen) {
            s.end_rec(rec, executor_core::job_end::discarded);
        } else {
            rec->delivery_failed = true;
        }
    }
    comps.clear();
}

/// The awaiter cancelled a call (under the service lock).
void handle_cancel(service& s, remote_call_rec* rec) {
    rec->cancel_seen = true;
    pool_impl& p = *rec->pool;
    switch (rec->where) {
    case w_queued: {
        auto it = std::find(p.queue.begin(), p.queue.end(), rec);
        if (it != p.queue.end()) {
            p.queue.erase(it);
        }
        begin_once(p, rec);
        s.end_rec(rec, executor_core::job_end::cancelled);
        break;
    }
    case w_sent: {
        pool_worker& w = *rec->worker;
        if (!w.fifo.empty() && w.fifo.front() == rec) {
            // Running: kill its worker; the calls behind it go to other workers.
            w.fifo.pop_front();
            s.end_rec(rec, executor_core::job_end::discarded);
            s.kill(w, "cancelled");
        } else {
            rec->abandoned = true;
            w.out.append(pp::empty_frame(pp::msg::cancel, rec->id));
            if (!w.epollout) {
                s.flush(w);
            }
        }
        break;
    }
    case w_finished:
        if (rec->delivery_failed) {
            s.end_rec(rec, executor_core::job_end::discarded);
        }
        break;
    default:
        break;
    }
}

void on_future_done(waiter_node* n) noexcept {
    remote_call_rec* rec = static_cast<remote_call_rec::hook*>(n)->rec;
    if (rec->state().cancelled()) {
        service& s = rec->pool->svc;
        std::lock_guard lock(s.m);
        if (!rec->pool_cancelled) {
            handle_cancel(s, rec);
        }
    }
    rec->release();
}

} // namespace ppool
using namespace ppool;

pool_impl::pool_impl(process_pool::options o, service& s)
    : executor_core(o.name != nullptr ? o.name : "process_pool"), opts(std::move(o)), svc(s),
      target(opts.workers != 0 ? opts.workers : std::max(1U, std::thread::hardware_concurrency())) {
    if (opts.name == nullptr) {
        opts.name = "process_pool";
    }
    if (opts.max_batch == 0) {
        opts.max_batch = 1;
    }
    init_frame = pp::init_frame(opts.max_message, opts.initializer.payload());
}

void pool_impl::stop_workers(bool /*wait*/) noexcept {
    completions comps;
    {
        std::lock_guard lock(svc.m);
        stopping = true;
        svc.maintain(*this, comps);
    }
    deliver(comps);
}

void begin_once(pool_impl& p, remote_call_rec* rec) noexcept {
    if (!rec->begun) {
        rec->begun = true;
        (void)p.begin_job(true);
    }
}

void begin_call_frame(std::string& frame) {
    frame.assign(pp::header_size, '\0');
}

void submit_remote(pool_impl& p, remote_call_rec* raw) {
    std::unique_ptr<remote_call_rec> rec(raw);
    const std::size_t args = rec->frame.size() - pp::header_size;
    if (args > p.opts.max_message) {
        throw message_too_large("process_pool '" + std::string(p.opts.name) +
                                "': the arguments of '" + rec->name + "' are " +
                                std::to_string(args) + " bytes, over options.max_message (" +
                                std::to_string(p.opts.max_message) + ")");
    }
    rec->id = next_call_id.fetch_add(1, std::memory_order_relaxed);
    pp::finish_frame(rec->frame, pp::msg::call, rec->id);
    rec->pool = &p;
    p.accept(executor_core::job{}); // accounting; throws executor_shut_down
    completions comps;
    {
        std::lock_guard lock(p.svc.m);
        if (p.broken) {
            (void)p.begin_job(true);
            p.end_job(executor_core::job_end::failed);
            throw worker_init_error(p.broken_msg);
        }
        rec->node.rec = rec.get();
        rec->node.fire = &on_future_done;
        rec->refs.store(2, std::memory_order_relaxed);
        remote_call_rec* r = rec.release();
        r->where = w_queued;
        p.queue.push_back(r);
        if (!r->state().add_waiter(&r->node)) {
            r->release(); // cannot happen: nobody has seen the future yet
        }
        p.svc.pump(p, comps);
    }
    deliver(comps);
}

} // namespace detail

process_pool::process_pool(options opts) {
    detail::service& s = detail::service::get();
    impl_ = new detail::pool_impl(std::move(opts), s);
    detail::completions comps;
    std::lock_guard lock(s.m);
    s.pools.push_back(impl_);
    s.maintain(*impl_, comps);
}

process_pool::~process_pool() {
    detail::pool_impl* p = impl_;
    p->shutdown(true, false);
    detail::service& s = p->svc;
    {
        std::unique_lock lock(s.m);
        p->stopping = true;
        for (auto& w : p->workers) {
            w->retired = true;
            s.close_fd(*w); // the worker reads EOF and exits
        }
        s.wake();
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        if (!s.changed.wait_until(lock, deadline, [&] { return p->workers.empty(); })) {
            for (auto& w : p->workers) {
                s.kill(*w, "shutdown");
            }
            s.changed.wait_for(lock, std::chrono::seconds(5), [&] { return p->workers.empty(); });
        }
        for (auto& w : p->workers) {
            s.by_token.erase(w->token);
            s.by_pid.erase(w->pid);
        }
        p->workers.clear();
        s.pools.erase(std::find(s.pools.begin(), s.pools.end(), p));
    }
    delete p;
}

void process_pool::shutdown(bool wait, bool cancel_pending) {
    detail::pool_impl& p = *impl_;
    (void)p.executor_core::shutdown(false, cancel_pending);
    if (cancel_pending) {
        detail::completions comps;
        {
            std::lock_guard lock(p.svc.m);
            while (!p.queue.empty()) {
                detail::remote_call_rec* rec = p.queue.front();
                p.queue.pop_front();
                detail::begin_once(p, rec);
                rec->pool_cancelled = true;
                rec->where = detail::w_finished;
                comps.push_back({detail::completion::cancel, rec, {}, nullptr});
            }
        }
        detail::deliver(comps);
    }
    if (wait) {
        (void)p.executor_core::shutdown(true, cancel_pending);
    }
}

std::size_t process_pool::max_workers() const noexcept {
    return impl_->max_workers();
}

executor_stats process_pool::stats() const noexcept {
    return impl_->stats();
}

std::vector<int> process_pool::worker_pids() const {
    std::lock_guard lock(impl_->svc.m);
    std::vector<int> pids;
    for (auto& w : impl_->workers) {
        if (w->pid != 0 && (w->state == detail::pool_worker::st::ready ||
                            w->state == detail::pool_worker::st::starting)) {
            pids.push_back(w->pid);
        }
    }
    return pids;
}

std::uint64_t process_pool::workers_started() const noexcept {
    std::lock_guard lock(impl_->svc.m);
    return impl_->started;
}

} // namespace weft
