// A session's read and write timeouts (session.hpp) without a timer per operation: one timer
// entry per connection (watchdog_), armed for the operation the session waits on (waiting_) and
// re-armed lazily when it fires before the current deadline (due_).
//
// A read that times out (idle_timeout, header_timeout, body_timeout) is ended by shutting the
// socket's read side: the read returns 0, timed_out_ says why, and a 408 can still be written.
// A write is checked every send_timeout / 2 while it waits for the socket; two checks in a row
// without progress reset the connection (its pending write fails, send_timed_out_ says why).
// Everything here runs on the connection's home loop: the timer fires there.

#include "session.hpp"

#include "../tcp/connection_impl.hpp"

#include <weft/runtime/detail/loop_ops.hpp>
#include <weft/runtime/error.hpp>

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

namespace weft::http::detail {

void session::on_watchdog(weft::detail::timer_node* n) noexcept {
    session& s = *static_cast<watchdog*>(n)->owner;
    if (s.waiting_ == wait_kind::none) {
        return; // the next read or write arms it again
    }
    weft::loop& home = *s.ref_->home;
    if (weft::detail::loop_time(home) < s.due_) {
        n->deadline = s.due_;
        weft::detail::add_timer(home, n);
        return;
    }
    if (s.waiting_ == wait_kind::write) {
        s.send_stalled();
        return;
    }
    s.timed_out_ = true;
    ::shutdown(s.conn_.native_handle(), SHUT_RD);
}

// A write's check, every send_timeout / 2: progress is bytes handed to the kernel since the last
// check, or a change of the bytes the kernel holds unsent or unacknowledged (the client reads,
// and acknowledges, however slowly). Two checks in a row without progress reset the connection
// (its pending write fails), which also drops the bytes queued in the kernel.
void session::send_stalled() noexcept {
    const std::uint64_t sent = conn_.impl()->bytes_sent;
    int queued = -1;
    if (::ioctl(conn_.native_handle(), SIOCOUTQ, &queued) != 0) {
        queued = -1;
    }
    const bool progress = sent != sent_at_ || (queued_at_ >= 0 && queued != queued_at_);
    sent_at_ = sent;
    queued_at_ = queued;
    quiet_checks_ = progress ? 0 : quiet_checks_ + 1;
    if (quiet_checks_ >= 2) {
        send_timed_out_ = true;
        conn_.abort();
        return;
    }
    weft::loop& home = *ref_->home;
    due_ = weft::detail::loop_time(home) + srv_.opts.send_timeout / 2;
    watchdog_.deadline = due_;
    weft::detail::add_timer(home, &watchdog_);
}

void session::arm_watchdog(std::chrono::milliseconds timeout) {
    arm_watchdog_until(weft::detail::loop_time(*ref_->home) + timeout);
}

void session::arm_watchdog_until(clock::time_point due) {
    arm_timer(due);
    waiting_ = wait_kind::read;
}

void session::arm_send_watchdog() {
    // No system call here: the first check learns the kernel's queue, so a write that never
    // moves is reset at the second one, send_timeout after it began to wait.
    arm_timer(weft::detail::loop_time(*ref_->home) + srv_.opts.send_timeout / 2);
    sent_at_ = conn_.impl()->bytes_sent;
    queued_at_ = -1;
    quiet_checks_ = 0;
    waiting_ = wait_kind::write;
}

// Sets the deadline to due; the timer fires at or before it (a later due is caught when it
// fires early).
void session::arm_timer(clock::time_point due) {
    weft::loop& home = *ref_->home;
    due_ = due;
    if (!watchdog_.armed()) {
        watchdog_.owner = this;
        watchdog_.fire = &on_watchdog;
        watchdog_.deadline = due_;
        weft::detail::add_timer(home, &watchdog_);
    } else if (watchdog_.deadline > due_) {
        weft::detail::remove_timer(home, &watchdog_);
        watchdog_.deadline = due_;
        weft::detail::add_timer(home, &watchdog_);
    }
}

// A read bounded by timeout. @throws weft::timeout_error when it ran out.
task<std::size_t> session::timed_read(std::span<char> into, std::chrono::milliseconds timeout) {
    arm_watchdog(timeout);
    std::size_t n = 0;
    try {
        auto op = conn_.read_some(into);
        n = co_await noted(*this, op);
    } catch (...) {
        waiting_ = wait_kind::none;
        throw;
    }
    waiting_ = wait_kind::none;
    if (timed_out_) {
        throw weft::timeout_error("read timed out");
    }
    co_return n;
}

} // namespace weft::http::detail
