#pragma once

// The server's registry of open connections, so that server::close() can reach the ones waiting
// for their next request (it may be called from any thread), and of the responses each loop has
// sent, for server::stats().
//
// Thread safety: the registry's sets are guarded by its mutex, taken once when a connection opens,
// once when it ends, and by close() and stats(). A connection_ref's idle and alive fields are read
// and written on the connection's own loop only: close() posts its check there.

#include "counter.hpp"

#include <weft/net/connection.hpp>
#include <weft/runtime/loop.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_set>
#include <vector>

// Private to libweft: hidden from its exported symbols, so that calls to it are direct (no PLT)
// and may be inlined.
#pragma GCC visibility push(hidden)

namespace weft::http::detail {

/// What close() needs to reach a connection that waits for its next request.
struct connection_ref {
    weft::loop* home = nullptr;
    net::connection* conn = nullptr;
    bool idle = false; // loop thread only
    bool alive = true; // loop thread only
};

class connection_registry {
public:
    /// Registers a connection; returns the counter of responses sent on its loop (ref->home).
    counter& enter(const std::shared_ptr<connection_ref>& ref);

    /// Forgets a connection that has ended.
    void leave(const std::shared_ptr<connection_ref>& ref);

    /// Closes, on its own loop, every connection that waits for its next request then (its
    /// pending read fails and its session ends); the others finish their request first.
    void close_idle();

    /// Responses sent, over all loops.
    [[nodiscard]] std::uint64_t requests() const;

private:
    // Responses sent, counted per loop: one counter that every loop bumps per request would
    // bounce its cache line between the cores. Guarded by mtx_; never shrinks.
    struct loop_requests {
        weft::loop* home = nullptr;
        counter n;
    };

    counter& requests_of(weft::loop* l);

    mutable std::mutex mtx_;
    std::unordered_set<std::shared_ptr<connection_ref>> refs_;
    std::vector<std::unique_ptr<loop_requests>> requests_;
};

} // namespace weft::http::detail

#pragma GCC visibility pop
