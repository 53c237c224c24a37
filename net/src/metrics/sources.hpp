#pragma once

// Private: what a scrape reads besides the loops and the default executor: the executors and
// servers an application exported and the routes' duration histograms, each a function that adds
// its samples to the scrape's family_set. Registered and removed from any thread; a removal waits
// for a scrape that is reading the source to finish with it.

#include "family_set.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace weft::metrics::detail {

using source_fn = std::function<void(family_set&)>;

/// Registers fn under (kind, name); returns the id its exported handle keeps.
/// @throws weft::error when name is empty or (kind, name) is taken.
[[nodiscard]] std::uint64_t add_source(std::string kind, std::string name, source_fn fn);

/// Removes a source; no-op for an unknown id.
void remove_source(std::uint64_t id) noexcept;

/// Calls every source, in the order they were registered.
void collect_sources(family_set& out);

} // namespace weft::metrics::detail
