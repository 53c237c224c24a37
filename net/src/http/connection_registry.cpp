// The server's registry of open connections and per-loop response counts
// (connection_registry.hpp): what server::close() and server::stats() reach across loops.

#include "connection_registry.hpp"

#include <weft/runtime/detail/loop_ops.hpp>

namespace weft::http::detail {

counter& connection_registry::enter(const std::shared_ptr<connection_ref>& ref) {
    std::lock_guard lock(mtx_);
    refs_.insert(ref);
    return requests_of(ref->home);
}

void connection_registry::leave(const std::shared_ptr<connection_ref>& ref) {
    std::lock_guard lock(mtx_);
    refs_.erase(ref);
}

void connection_registry::close_idle() {
    std::lock_guard lock(mtx_);
    for (const std::shared_ptr<connection_ref>& ref : refs_) {
        if (ref->home == nullptr) {
            continue;
        }
        weft::detail::post(*ref->home, [ref] {
            if (ref->alive && ref->idle) {
                ref->conn->close(); // its pending read fails: the session ends
            }
        });
    }
}

std::uint64_t connection_registry::requests() const {
    std::uint64_t n = 0;
    std::lock_guard lock(mtx_);
    for (const std::unique_ptr<loop_requests>& r : requests_) {
        n += r->n.get();
    }
    return n;
}

// The response counter of loop l (mtx_ held).
counter& connection_registry::requests_of(weft::loop* l) {
    for (const std::unique_ptr<loop_requests>& r : requests_) {
        if (r->home == l) {
            return r->n;
        }
    }
    requests_.push_back(std::make_unique<loop_requests>());
    requests_.back()->home = l;
    return requests_.back()->n;
}

} // namespace weft::http::detail
