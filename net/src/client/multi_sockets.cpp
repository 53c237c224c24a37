// The plumbing between libcurl's multi-socket interface and a loop (multi.hpp): libcurl's socket
// callback keeps the multi's own epoll set, whose descriptor waits on the loop's io_context, and
// its timer callback arms one steady_timer there; ready sockets are handed back to libcurl in
// bounded rounds so that one busy transfer cannot starve the loop.
#include "multi.hpp"

#include <weft/runtime/log.hpp>

#include <asio/post.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>

#include <sys/epoll.h>
#include <unistd.h>

namespace weft::http::detail {

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

} // namespace weft::http::detail
