#include "multi.hpp"

#include <weft/runtime/internal/loop_io.hpp>

#include <weft/runtime/create_task.hpp>
#include <weft/runtime/detail/extension.hpp>
#include <weft/runtime/detail/loop_ops.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/log.hpp>
#include <weft/runtime/version.hpp>

#include <asio/post.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <system_error>
#include <utility>
#include <vector>

#include <sys/epoll.h>
#include <unistd.h>

namespace weft::http::detail {

namespace {

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            throw error("libcurl failed to initialise (curl_global_init)");
        }
    });
}

std::atomic<std::uint64_t> next_client_id{1};

/// Idle connections kept per loop when max_connections is 0 (aiohttp's default pool size).
constexpr std::size_t default_idle_connections = 100;

} // namespace

namespace {

bool proxy_in_environment() noexcept {
    for (const char* v :
         {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}) {
        const char* p = std::getenv(v);
        if (p != nullptr && *p != '\0') {
            return true;
        }
    }
    return false;
}

} // namespace

client_state::client_state(client_options o)
    : opts(std::move(o)), id(next_client_id.fetch_add(1, std::memory_order_relaxed)),
      may_use_proxy(opts.proxy_from_environment && proxy_in_environment()) {}

transfer::~transfer() {
    if (in_multi && ctx) {
        ctx->abort(*this);
    }
    if (easy != nullptr) {
        if (ctx) {
            ctx->release_easy(easy, plain);
        } else {
            curl_easy_cleanup(easy);
        }
    }
    if (header_list != nullptr) {
        curl_slist_free_all(header_list);
    }
}

// ---- multi_ctx
// ------------------------------------------------------------------------------------

multi_ctx::multi_ctx(weft::loop& l, const client_options& opts)
    : owner_(l), io_(weft::internal::io_of(l)), ep_(io_), timer_(io_) {
    global_init();
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) {
        throw std::system_error(errno, std::generic_category(), "epoll_create1");
    }
    ep_.assign(epfd_);
    multi_ = curl_multi_init();
    if (multi_ == nullptr) {
        throw error("libcurl: curl_multi_init failed");
    }
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &multi_ctx::on_socket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &multi_ctx::on_timer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
    if (opts.max_connections_per_host > 0) {
        curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS,
                          static_cast<long>(opts.max_connections_per_host));
    }
    if (opts.max_connections > 0) {
        curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                          static_cast<long>(opts.max_connections));
    }
    // The idle connections kept. libcurl's default, 4 per easy handle in the multi, shrinks while
    // finished transfers wait for their task to resume (their handles are out of the multi then):
    // with 64 tasks awaiting requests in turn it closed a pooled connection every 5-11 requests.
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS,
                      static_cast<long>(opts.max_connections > 0 ? opts.max_connections
                                                                 : default_idle_connections));
}

multi_ctx::~multi_ctx() {
    close();
}

std::pair<CURL*, bool> multi_ctx::acquire_easy(bool plain) {
    if (plain && !idle_plain_.empty()) {
        CURL* e = idle_plain_.back();
        idle_plain_.pop_back();
        return {e, true};
    }
    std::vector<CURL*>& from = !idle_other_.empty() ? idle_other_ : idle_plain_;
    if (!from.empty()) {
        CURL* e = from.back();
        from.pop_back();
        curl_easy_reset(e); // back to libcurl's defaults; connections stay in the multi's pool
        return {e, false};
    }
    CURL* e = curl_easy_init();
    if (e == nullptr) {
        throw std::bad_alloc();
    }
    return {e, false};
}

void multi_ctx::release_easy(CURL* easy, bool plain) noexcept {
    constexpr std::size_t max_idle = 256;
    std::vector<CURL*>& to = plain ? idle_plain_ : idle_other_;
    if (closed_ || to.size() >= max_idle) {
        curl_easy_cleanup(easy);
        return;
    }
    to.push_back(easy);
}

std::shared_ptr<CURLU> multi_ctx::parsed_url(const std::string& url, CURLUcode& rc) {
    rc = CURLUE_OK;
    if (auto it = urls_.find(url); it != urls_.end()) {
        return it->second;
    }
    std::shared_ptr<CURLU> u(curl_url(), &curl_url_cleanup);
    if (u == nullptr) {
        throw std::bad_alloc();
    }
    // The flags libcurl parses a CURLOPT_URL string with (less guessing a missing scheme, which
    // the client refuses before).
    rc = curl_url_set(u.get(), CURLUPART_URL, url.c_str(), CURLU_NON_SUPPORT_SCHEME);
    if (rc != CURLUE_OK) {
        return nullptr;
    }
    constexpr std::size_t max_cached = 64;
    if (urls_.size() >= max_cached) {
        urls_.clear(); // transfers keep the handles they use
    }
    urls_.emplace(url, u);
    return u;
}

void multi_ctx::start() {
    wait_events();
}

void multi_ctx::add(transfer& t) {
    if (closed_) {
        throw client_error(t.method + " " + t.url + ": the HTTP client was closed", t.url);
    }
    CURLMcode rc = curl_multi_add_handle(multi_, t.easy);
    if (rc != CURLM_OK) {
        throw client_error(t.method + " " + t.url + ": " + curl_multi_strerror(rc), t.url);
    }
    t.in_multi = true;
    t.prev = nullptr;
    t.next = running_;
    if (running_ != nullptr) {
        running_->prev = &t;
    }
    running_ = &t;
}

void multi_ctx::unlink(transfer& t) noexcept {
    if (t.paused) {
        t.paused = false;
        paused_.erase(std::find(paused_.begin(), paused_.end(), &t));
    }
    if (t.prev != nullptr) {
        t.prev->next = t.next;
    } else {
        running_ = t.next;
    }
    if (t.next != nullptr) {
        t.next->prev = t.prev;
    }
    t.prev = t.next = nullptr;
}

void multi_ctx::abort(transfer& t) noexcept {
    if (!t.in_multi) {
        return;
    }
    // Removing an unfinished transfer makes libcurl close its connection: it cannot be reused.
    curl_multi_remove_handle(multi_, t.easy);
    t.in_multi = false;
    unlink(t);
}

// The budget is shared by the multi's transfers: whichever crosses it pauses (CURL_WRITEFUNC_PAUSE
// keeps the bytes it was given for later) and resumes in a closure posted behind whatever else the
// loop has to do. The first write of a turn always passes, so that every turn makes progress.
// libcurl stops reading the socket once a transfer pauses, but decodes the rest of the block it
// read (at most CURLOPT_BUFFERSIZE, 16 KiB, of compressed input) into its pause buffer: a turn
// does at most that much more decoding.
bool multi_ctx::must_yield(transfer& t, std::size_t n) noexcept {
    if (turn_bytes_ < body_bytes_per_turn) {
        turn_bytes_ += n;
        return false;
    }
    if (!t.paused) {
        try {
            paused_.push_back(&t);
        } catch (...) {
            return false; // no memory to remember it: it goes on in this turn
        }
        t.paused = true;
    }
    if (!resume_pending_) {
        try {
            asio::post(io_, [me = shared_from_this()] {
                me->resume_pending_ = false;
                if (!me->closed_) {
                    me->resume_paused();
                }
            });
            resume_pending_ = true;
        } catch (...) {
            paused_.pop_back();
            t.paused = false;
            return false;
        }
    }
    return true;
}

// A new turn: each paused transfer gets its held bytes back (libcurl calls the body callback from
// inside curl_easy_pause), possibly pausing again once the new budget is spent. A callback that
// fails the transfer there (a limit) makes curl_easy_pause return the error without ending the
// transfer: it is ended here.
void multi_ctx::resume_paused() {
    begin_turn();
    std::vector<transfer*> now;
    now.swap(paused_);
    for (transfer* t : now) {
        t->paused = false;
    }
    for (std::size_t i = 0; i < now.size() && !closed_; ++i) {
        transfer* t = now[i];
        if (!t->in_multi) {
            continue; // ended meanwhile (a failure above, or a cancellation)
        }
        const CURLcode rc = curl_easy_pause(t->easy, CURLPAUSE_CONT);
        if (rc != CURLE_OK && t->in_multi) {
            fail(*t, rc);
        }
    }
    if (!closed_) {
        collect_done();
    }
}

void multi_ctx::fail(transfer& t, CURLcode code) noexcept {
    curl_multi_remove_handle(multi_, t.easy);
    t.in_multi = false;
    t.code = code;
    unlink(t);
    weft::detail::schedule(owner_, weft::detail::resume_runnable(t.waiter));
}

void multi_ctx::close() noexcept {
    if (closed_) {
        return;
    }
    closed_ = true;
    while (running_ != nullptr) {
        transfer& t = *running_;
        curl_multi_remove_handle(multi_, t.easy);
        t.in_multi = false;
        t.closed_by_client = true;
        unlink(t);
        weft::detail::resume_on(&owner_, t.waiter);
    }
    if (multi_ != nullptr) {
        curl_multi_cleanup(multi_); // closes the pooled connections
        multi_ = nullptr;
    }
    urls_.clear();
    for (auto* idle : {&idle_plain_, &idle_other_}) {
        for (CURL* e : *idle) {
            curl_easy_cleanup(e);
        }
        idle->clear();
    }
    asio::error_code ec;
    timer_.cancel();
    ep_.close(ec);
    epfd_ = -1;
}

// libcurl tells which events it wants on a socket; the socket joins or changes in our epoll set.
// Level-triggered, as libcurl expects: it may leave data unread and rely on being told again.
//
// libcurl says CURL_POLL_REMOVE for a connection's socket whenever its transfer ends, and asks for
// it again when the next transfer reuses the connection: two epoll_ctl calls per request. So a
// socket libcurl no longer wants stays in the set, marked unwanted, and leaves it only if it
// reports an event while unwanted (the server closed an idle connection, say); when libcurl wants
// it again with the same events, no call is made. A socket libcurl closes leaves the set by
// itself (the kernel drops a closed file from every epoll set; close_socket forgets it), and its
// descriptor's next use adds it afresh.
int multi_ctx::on_socket(CURL* /*easy*/, curl_socket_t s, int what, void* userp,
                         void* /*socketp*/) {
    auto* self = static_cast<multi_ctx*>(userp);
    if (s < 0) {
        return 0;
    }
    const auto i = static_cast<std::size_t>(s);
    if (i >= self->fds_.size()) {
        if (what == CURL_POLL_REMOVE) {
            return 0;
        }
        try {
            self->fds_.resize(std::max<std::size_t>(i + 1, 2 * self->fds_.size()));
        } catch (...) {
            return -1; // libcurl fails the transfers on this socket
        }
    }
    fd_state& f = self->fds_[i];
    if (what == CURL_POLL_REMOVE) {
        f.wanted = false;
        return 0;
    }
    const std::uint32_t events =
        ((what & CURL_POLL_IN) != 0 ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) != 0 ? EPOLLOUT : 0u);
    f.wanted = true;
    if (f.in_set && f.events == events) {
        return 0;
    }
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = s;
    int rc = 0;
    if (f.in_set) {
        rc = ::epoll_ctl(self->epfd_, EPOLL_CTL_MOD, s, &ev);
        if (rc != 0 && errno == ENOENT) { // closed and reused since: a new file
            rc = ::epoll_ctl(self->epfd_, EPOLL_CTL_ADD, s, &ev);
        }
    } else {
        rc = ::epoll_ctl(self->epfd_, EPOLL_CTL_ADD, s, &ev);
        if (rc != 0 && errno == EEXIST) {
            rc = ::epoll_ctl(self->epfd_, EPOLL_CTL_MOD, s, &ev);
        }
    }
    if (rc != 0) {
        f.in_set = false;
        return -1;
    }
    f.in_set = true;
    f.events = events;
    return 0;
}

// Every socket libcurl closes passes here (a connection keeps the callback it was made with, so
// this holds for connections closed by the connection cache too): the kernel drops the closed
// file from our set, and the descriptor number, when reused, starts afresh.
int multi_ctx::close_socket(void* clientp, curl_socket_t s) noexcept {
    auto* self = static_cast<multi_ctx*>(clientp);
    if (s >= 0 && static_cast<std::size_t>(s) < self->fds_.size()) {
        self->fds_[static_cast<std::size_t>(s)] = fd_state{};
    }
    return ::close(s);
}

// libcurl wants socket_action(CURL_SOCKET_TIMEOUT) after timeout_ms (0: as soon as possible, -1:
// never). It must not be called from inside this callback: a zero timeout is posted instead.
//
// libcurl moves its timeout at every step of every transfer; re-arming the Asio timer each time
// cost a timerfd_settime for most requests. The timer is re-armed only when the new deadline is
// earlier than the armed one, and never cancelled: firing early is harmless (libcurl finds nothing
// expired and names its next timeout again).
int multi_ctx::on_timer(CURLM* /*multi*/, long timeout_ms, void* userp) {
    auto* self = static_cast<multi_ctx*>(userp);
    if (timeout_ms < 0) {
        return 0;
    }
    if (timeout_ms == 0) {
        if (!self->kick_pending_) {
            self->kick_pending_ = true;
            asio::post(self->io_, [me = self->shared_from_this()] {
                me->kick_pending_ = false;
                if (!me->closed_) {
                    me->begin_turn();
                    me->action(CURL_SOCKET_TIMEOUT, 0);
                }
            });
        }
        return 0;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    if (self->timer_armed_ && self->timer_.expiry() <= deadline) {
        return 0;
    }
    self->timer_armed_ = true;
    self->timer_.expires_at(deadline); // an armed wait completes with operation_aborted
    self->timer_.async_wait([me = self->shared_from_this()](const asio::error_code& ec) {
        if (ec) {
            return; // replaced by an earlier deadline, or closed
        }
        me->timer_armed_ = false;
        if (!me->closed_) {
            me->begin_turn();
            me->action(CURL_SOCKET_TIMEOUT, 0);
        }
    });
    return 0;
}

void multi_ctx::wait_events() {
    if (waiting_ || closed_) {
        return;
    }
    waiting_ = true;
    ep_.async_wait(asio::posix::stream_descriptor::wait_read,
                   [me = shared_from_this()](const asio::error_code& ec) {
                       me->waiting_ = false;
                       if (!ec && !me->closed_) {
                           me->drain_events();
                       }
                   });
}

// Our epoll set became readable: hand every ready socket to libcurl until none is left. The set is
// level-triggered, so a socket libcurl did not drain shows up again; after a bounded number of
// rounds the rest is posted, so that one busy transfer cannot starve the loop.
void multi_ctx::drain_events() {
    constexpr int max_events = 64;
    constexpr int max_rounds = 8;
    epoll_event evs[max_events];
    begin_turn();
    for (int round = 0; round < max_rounds; ++round) {
        const int n = ::epoll_wait(epfd_, evs, max_events, 0);
        if (n <= 0) {
            wait_events();
            return;
        }
        for (int i = 0; i < n && !closed_; ++i) {
            const int fd = evs[i].data.fd;
            fd_state& f = fds_[static_cast<std::size_t>(fd)];
            if (!f.wanted) { // an idle connection's socket: now it leaves the set
                ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
                f.in_set = false;
                continue;
            }
            const std::uint32_t e = evs[i].events;
            int flags = 0;
            if ((e & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
                flags |= CURL_CSELECT_IN;
            }
            if ((e & EPOLLOUT) != 0) {
                flags |= CURL_CSELECT_OUT;
            }
            if ((e & EPOLLERR) != 0) {
                flags |= CURL_CSELECT_ERR;
            }
            action(fd, flags);
        }
        if (closed_) {
            return;
        }
    }
    asio::post(io_, [me = shared_from_this()] {
        if (!me->closed_) {
            me->drain_events();
        }
    });
}

void multi_ctx::action(curl_socket_t s, int events) {
    int still_running = 0;
    curl_multi_socket_action(multi_, s, events, &still_running);
    collect_done();
}

// Every finished transfer leaves the multi handle and its waiter is queued on the loop (never
// resumed from inside libcurl).
void multi_ctx::collect_done() {
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
        if (m->msg != CURLMSG_DONE) {
            continue;
        }
        CURL* easy = m->easy_handle;
        const CURLcode code = m->data.result; // m is invalid once the handle is removed
        transfer* t = nullptr;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &t);
        curl_multi_remove_handle(multi_, easy);
        if (t == nullptr) {
            continue;
        }
        t->code = code;
        t->in_multi = false;
        unlink(*t);
        weft::detail::schedule(owner_, weft::detail::resume_runnable(t->waiter));
    }
}

// ---- the per-runtime registry ------------------------------------------------------------------

namespace {

/// Closes a multi_ctx when destroyed: carried by a closure posted to the ctx's loop, it closes it
/// there, or wherever the closure is dropped if that loop closes first (it then runs no more).
struct close_on_drop {
    std::shared_ptr<multi_ctx> ctx;
    close_on_drop(std::shared_ptr<multi_ctx> c) : ctx(std::move(c)) {}
    close_on_drop(close_on_drop&&) noexcept = default;
    close_on_drop& operator=(close_on_drop&&) noexcept = default;
    ~close_on_drop() {
        if (ctx) {
            ctx->close();
        }
    }
};

void dispose(std::shared_ptr<multi_ctx> c) noexcept {
    weft::loop& l = c->home();
    if (weft::detail::current_loop_ptr() == &l || !l.is_running() || l.is_closed()) {
        c->close();
        return;
    }
    try {
        weft::detail::post(l, [guard = close_on_drop(std::move(c))] {});
    } catch (...) {
        // The loop refused the closure (closing): guard's destructor closed it here.
    }
}

/// Every multi handle of one runtime (or stand-alone loop), by (client id, loop), and the
/// runtime's default client. Shut down with the runtime, once every task has unwound.
class registry final : public weft::detail::extension {
public:
    std::shared_ptr<multi_ctx> get(const client_state& st, weft::loop& l) {
        std::lock_guard lock(mtx_);
        if (closed_) {
            throw invalid_state_error(
                "weft::http::client used after its runtime began shutting down");
        }
        const key k{st.id, &l};
        auto it = ctxs_.find(k);
        if (it != ctxs_.end()) {
            return it->second;
        }
        auto c = std::make_shared<multi_ctx>(l, st.opts);
        c->start();
        ctxs_.emplace(k, c);
        return c;
    }

    void drop(std::uint64_t id) noexcept {
        std::vector<std::shared_ptr<multi_ctx>> victims;
        {
            std::lock_guard lock(mtx_);
            for (auto it = ctxs_.lower_bound(key{id, nullptr});
                 it != ctxs_.end() && it->first.first == id;) {
                victims.push_back(std::move(it->second));
                it = ctxs_.erase(it);
            }
        }
        for (auto& c : victims) {
            dispose(std::move(c));
        }
    }

    std::shared_ptr<client_state> default_client() {
        std::lock_guard lock(mtx_);
        if (!default_) {
            default_ = std::make_shared<client_state>(client_options{});
        }
        return default_;
    }

    void shutdown() noexcept override {
        std::map<key, std::shared_ptr<multi_ctx>> all;
        {
            std::lock_guard lock(mtx_);
            closed_ = true;
            all.swap(ctxs_);
        }
        for (auto& [k, c] : all) {
            dispose(std::move(c));
        }
    }

    ~registry() override {
        // Only reached with handles left when shutdown() never ran; the loops are stopped by now.
        for (auto& [k, c] : ctxs_) {
            c->close();
        }
    }

private:
    using key = std::pair<std::uint64_t, const weft::loop*>;
    std::mutex mtx_;
    std::map<key, std::shared_ptr<multi_ctx>> ctxs_;
    std::shared_ptr<client_state> default_;
    bool closed_ = false;
};

const char registry_key = 0;

registry& current_registry() {
    auto& ext = weft::detail::runtime_extension(
        &registry_key, [](const weft::options&) -> std::unique_ptr<weft::detail::extension> {
            return std::make_unique<registry>();
        });
    return static_cast<registry&>(ext);
}

} // namespace

std::shared_ptr<multi_ctx> multi_for(const client_state& st, weft::loop& l) {
    return current_registry().get(st, l);
}

void drop_client(std::uint64_t id) noexcept {
    if (weft::detail::current_loop_ptr() == nullptr) {
        return; // not on a loop: the runtime that made its handles closed them at shutdown
    }
    try {
        current_registry().drop(id);
    } catch (...) {
        // No registry can be made now: nothing to drop.
    }
}

std::shared_ptr<client_state> default_client() {
    return current_registry().default_client();
}

} // namespace weft::http::detail
