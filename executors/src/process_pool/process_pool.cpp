// weft::process_pool, the public class, over its private pool (pool.hpp), and the two entry
// points its header's templates call (begin_call_frame, submit_remote). How the parts fit:
//   protocol.*         frames between parent and worker, records to and from the fork server
//   init.cpp, fork_server.cpp, worker_main.cpp   the helper processes
//   service.*          the per-process lock and I/O thread (epoll)
//   fork_link.*        the parent's end of the fork server's socket
//   channel.*          the parent's end of one worker's socket
//   worker_state.*     a worker's life: states, events, transitions
//   worker.hpp         one worker as its pool sees it
//   pool.*, lifecycle.cpp, completion.*   a pool's calls, its workers' lives, delivering results

#include "pool.hpp"
#include "protocol.hpp"
#include "service.hpp"

#include <weft/executors/process_pool.hpp>

#include <memory>
#include <string>
#include <utility>

namespace weft {

namespace detail {

void begin_call_frame(std::string& frame) {
    frame.assign(pp::header_size, '\0');
}

void submit_remote(pp::pool_impl& pool, remote_call_rec* rec) {
    pool.submit(std::unique_ptr<remote_call_rec>(rec));
}

} // namespace detail

process_pool::process_pool(options opts) {
    detail::pp::service& s = detail::pp::service::get();
    impl_ = new detail::pp::pool_impl(std::move(opts), s);
    impl_->start();
}

process_pool::~process_pool() {
    detail::pp::pool_impl* p = impl_;
    p->shutdown(true, false);
    p->close_workers();
    delete p;
}

void process_pool::shutdown(bool wait, bool cancel_pending) {
    detail::pp::pool_impl& p = *impl_;
    (void)p.executor_core::shutdown(false, cancel_pending);
    if (cancel_pending) {
        p.cancel_queued();
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
    return impl_->worker_pids();
}

std::uint64_t process_pool::workers_started() const noexcept {
    return impl_->workers_started();
}

} // namespace weft
