// The registered metric sources (sources.hpp): one list under one mutex. Registration is rare
// (an executor or a server made) and a scrape is rare (seconds apart), so a mutex held through a
// scrape costs nothing that matters, and it makes removal safe: once remove_source returns, no
// scrape still reads what the source pointed at.
#include "sources.hpp"

#include <weft/net/metrics.hpp>
#include <weft/runtime/error.hpp>

#include <algorithm>
#include <mutex>
#include <utility>
#include <vector>

namespace weft::metrics::detail {

namespace {

struct source {
    std::uint64_t id;
    std::string kind;
    std::string name;
    source_fn fn;
};

struct source_list {
    std::mutex mu;
    std::vector<source> items;
    std::uint64_t next_id = 1;
};

source_list& sources() {
    static source_list* list = new source_list; // never destroyed: handles may outlive main()
    return *list;
}

} // namespace

std::uint64_t add_source(std::string kind, std::string name, source_fn fn) {
    if (name.empty()) {
        throw error("metrics: a " + kind + " needs a name to be exported");
    }
    source_list& l = sources();
    std::lock_guard lock(l.mu);
    const bool taken = std::any_of(l.items.begin(), l.items.end(), [&](const source& s) {
        return s.kind == kind && s.name == name;
    });
    if (taken) {
        throw error("metrics: a " + kind + " named \"" + name + "\" is already exported");
    }
    const std::uint64_t id = l.next_id++;
    l.items.push_back({id, std::move(kind), std::move(name), std::move(fn)});
    return id;
}

void remove_source(std::uint64_t id) noexcept {
    source_list& l = sources();
    source_fn dropped; // destroyed outside the lock
    {
        std::lock_guard lock(l.mu);
        auto it = std::find_if(l.items.begin(), l.items.end(),
                               [id](const source& s) { return s.id == id; });
        if (it == l.items.end()) {
            return;
        }
        dropped = std::move(it->fn);
        l.items.erase(it);
    }
}

void collect_sources(family_set& out) {
    source_list& l = sources();
    std::lock_guard lock(l.mu);
    for (const source& s : l.items) {
        s.fn(out);
    }
}

} // namespace weft::metrics::detail

namespace weft::metrics {

exported& exported::operator=(exported&& o) noexcept {
    if (this != &o) {
        reset();
        id_ = o.id_;
        o.id_ = 0;
    }
    return *this;
}

void exported::reset() noexcept {
    if (id_ != 0) {
        detail::remove_source(id_);
        id_ = 0;
    }
}

} // namespace weft::metrics
