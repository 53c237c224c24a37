// The HTTP client's engine on one loop (multi.hpp): a libcurl multi handle's set-up, its pool of
// easy handles and parsed URLs, adding, aborting and failing transfers, the per-turn body budget
// that pauses transfers so that decoding never hogs the loop, and handing finished transfers back
// to their tasks. The socket and timer plumbing between libcurl and the loop is in
// multi_sockets.cpp; which multi handle serves a client on a loop, in registry.cpp.
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

} // namespace weft::http::detail
