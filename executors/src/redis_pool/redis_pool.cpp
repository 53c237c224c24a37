// weft::redis_pool, the public class, over its caller (caller.hpp). How the parts fit:
//   url.*           broker URLs
//   hiredis_loop.*  hiredis's event hooks on a weft loop
//   connection.*    one Redis connection kept up (connect, log in, reconnect with backoff)
//   wire.*          what callers and workers agree on in Redis: keys, fields, error reports
//   caller.*        the caller's side: sending calls, reading results, cancelling, timeouts
//   worker.*, worker_mode.cpp   the worker's side: serve_redis_calls and --weft-redis-worker

#include "caller.hpp"

#include <weft/executors/redis_pool.hpp>

#include <utility>

namespace weft {

redis_pool::redis_pool(options opts)
    : impl_(std::make_unique<detail::rp::caller>(std::move(opts))) {}

redis_pool::~redis_pool() {
    shutdown(true, false);
    impl_.reset();
}

void redis_pool::shutdown(bool wait, bool cancel_pending) {
    detail::rp::caller& c = *impl_;
    (void)c.executor_core::shutdown(false, cancel_pending);
    if (cancel_pending) {
        c.cancel_waiting();
    }
    if (wait) {
        (void)c.executor_core::shutdown(true, cancel_pending);
    }
}

std::size_t redis_pool::max_workers() const noexcept {
    return impl_->max_workers();
}

executor_stats redis_pool::stats() const noexcept {
    return impl_->stats();
}

bool redis_pool::connected() const noexcept {
    return impl_->connected();
}

std::uint64_t redis_pool::resent() const noexcept {
    return impl_->resent();
}

} // namespace weft
