#pragma once

// How a call's outcome leaves the pool (private): code under the service lock collects
// completions, and deliver() completes the futures once the lock is released, since completing
// one runs the awaiter's callbacks (which may take the lock again to cancel another call).

#include <exception>
#include <string>
#include <vector>

namespace weft::detail {

struct remote_call_rec;

namespace pp {

/// One call's outcome, waiting for delivery.
struct completion {
    enum kind {
        value,  ///< bytes: its serialised result
        error,  ///< ex: what it raised, or why it failed
        cancel, ///< the pool cancelled it (shutdown(cancel_pending), or while being sent)
    } k;
    remote_call_rec* rec;
    std::string bytes;
    std::exception_ptr ex;
};
using completions = std::vector<completion>;

/// Completes the futures of comps and ends the calls' accounting; empties comps.
/// Lock: not held (it takes it for a result that came after the awaiter cancelled).
void deliver(completions& comps);

} // namespace pp

} // namespace weft::detail
