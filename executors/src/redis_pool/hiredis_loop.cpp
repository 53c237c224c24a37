// attach_to_loop: the event-library adapter hiredis asks for, written for weft's loops. hiredis's
// socket sits in a small level-triggered epoll set of its own, whose descriptor waits on the
// loop's io_context (Asio's reactor is edge-triggered, while hiredis reads at most 16 KiB per
// call and expects to be told again while data is left). Ready events go back to hiredis in
// bounded rounds, so that a flood of replies on one connection cannot hold the loop.

#include "hiredis_loop.hpp"

#include <hiredis/async.h>

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>

#include <cstdint>
#include <memory>
#include <system_error>

#include <sys/epoll.h>
#include <unistd.h>

namespace weft::detail::rp {

namespace {

class watch : public std::enable_shared_from_this<watch> {
public:
    watch(redisAsyncContext* ac, asio::io_context& io, int ep) : ac_(ac), io_(io), outer_(io, ep) {}

    static void add_read(void* p) { static_cast<watch*>(p)->want(EPOLLIN, true); }
    static void del_read(void* p) { static_cast<watch*>(p)->want(EPOLLIN, false); }
    static void add_write(void* p) { static_cast<watch*>(p)->want(EPOLLOUT, true); }
    static void del_write(void* p) { static_cast<watch*>(p)->want(EPOLLOUT, false); }
    static void cleanup(void* p) { static_cast<watch*>(p)->detach(); }

    /// Keeps itself alive until hiredis calls cleanup.
    void hold() { self_ = shared_from_this(); }

private:
    void want(std::uint32_t bit, bool on) {
        if (ac_ == nullptr) {
            return;
        }
        const std::uint32_t events = on ? (events_ | bit) : (events_ & ~bit);
        if (events == events_ && in_set_) {
            return;
        }
        epoll_event ev{};
        ev.events = events;
        ev.data.fd = ac_->c.fd;
        const int op = in_set_ ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
        if (::epoll_ctl(outer_.native_handle(), op, ac_->c.fd, &ev) == 0) {
            in_set_ = true;
            events_ = events;
        }
        wait();
    }

    void wait() {
        if (waiting_ || ac_ == nullptr) {
            return;
        }
        waiting_ = true;
        outer_.async_wait(asio::posix::stream_descriptor::wait_read,
                          [me = shared_from_this()](const std::error_code& ec) {
                              me->waiting_ = false;
                              if (!ec) {
                                  me->drain();
                              }
                          });
    }

    // Hands readiness to hiredis until the set has nothing ready, at most max_rounds times; the
    // rest goes on a later turn of the loop. hiredis may free the context in any of these calls
    // (a disconnect, or a callback that closes it): cleanup() then clears ac_.
    void drain() {
        constexpr int max_rounds = 16;
        for (int round = 0; round < max_rounds && ac_ != nullptr; ++round) {
            epoll_event ev{};
            if (::epoll_wait(outer_.native_handle(), &ev, 1, 0) <= 0) {
                wait();
                return;
            }
            if ((ev.events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
                redisAsyncHandleRead(ac_);
            }
            if (ac_ != nullptr && (ev.events & EPOLLOUT) != 0 && (events_ & EPOLLOUT) != 0) {
                redisAsyncHandleWrite(ac_);
            }
        }
        if (ac_ != nullptr) {
            asio::post(io_, [me = shared_from_this()] { me->drain(); });
        }
    }

    void detach() {
        if (ac_ != nullptr && in_set_) {
            ::epoll_ctl(outer_.native_handle(), EPOLL_CTL_DEL, ac_->c.fd, nullptr);
        }
        ac_ = nullptr;
        std::error_code ec;
        outer_.close(ec); // closes the epoll set; a pending wait completes as aborted
        self_.reset();    // the last reference may be a handler's, still on the stack
    }

    redisAsyncContext* ac_;
    asio::io_context& io_;
    asio::posix::stream_descriptor outer_; // owns the epoll set
    std::uint32_t events_ = 0;
    bool in_set_ = false;
    bool waiting_ = false;
    std::shared_ptr<watch> self_;
};

} // namespace

bool attach_to_loop(redisAsyncContext* ac, asio::io_context& io) {
    if (ac->ev.data != nullptr) {
        return false;
    }
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        return false;
    }
    std::shared_ptr<watch> w;
    try {
        w = std::make_shared<watch>(ac, io, ep);
    } catch (...) {
        ::close(ep);
        return false;
    }
    w->hold();
    ac->ev.data = w.get();
    ac->ev.addRead = &watch::add_read;
    ac->ev.delRead = &watch::del_read;
    ac->ev.addWrite = &watch::add_write;
    ac->ev.delWrite = &watch::del_write;
    ac->ev.cleanup = &watch::cleanup;
    return true;
}

} // namespace weft::detail::rp
