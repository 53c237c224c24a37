// deliver(): completing the futures of calls whose outcome the pool collected under the service
// lock (see completion.hpp), and ending each call's accounting with how it ended.

#include "completion.hpp"
#include "pool.hpp"
#include "service.hpp"

#include <weft/executors/process_pool.hpp>

#include <string>

namespace weft::detail::pp {

namespace {

/// Completes rec's future with c; false when its awaiter cancelled first.
bool complete_future(remote_call_rec* rec, completion& c) {
    if (c.k != completion::value) {
        return rec->fail(std::move(c.ex));
    }
    try {
        return rec->deliver(c.bytes);
    } catch (const std::exception& e) {
        return rec->fail(std::make_exception_ptr(
            remote_error(rec->name, "cereal::Exception",
                         std::string("could not read the result: ") + e.what())));
    }
}

} // namespace

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
        if (complete_future(rec, c)) {
            const bool ok = c.k == completion::value;
            rec->release();
            p->end_job(ok ? executor_core::job_end::completed : executor_core::job_end::failed);
            continue;
        }
        // The awaiter cancelled first: the call ends once both sides are done with it.
        auto lock = p->svc().lock();
        if (rec->cancel_seen) {
            end_call(rec, executor_core::job_end::discarded);
        } else {
            rec->delivery_failed = true;
        }
    }
    comps.clear();
}

} // namespace weft::detail::pp
