// The transition table of a worker's life (states and events are described in
// worker_state.hpp). One row per state, one column per event; a cell that repeats its row's
// state means the event changes nothing there.

#include "worker_state.hpp"

#include <array>
#include <cstddef>

namespace weft::detail::pp {

namespace {

using ws = worker_state;
constexpr std::size_t event_count = 5;
constexpr std::size_t state_count = 6;

// Columns: spawned, said_ready, closed, killed, faulted.
constexpr std::array<std::array<ws, event_count>, state_count> table{{
    /* spawning */ {ws::starting, ws::ready, ws::retiring, ws::killed, ws::faulted},
    /* starting */ {ws::starting, ws::ready, ws::retiring, ws::killed, ws::faulted},
    /* ready    */ {ws::ready, ws::ready, ws::retiring, ws::killed, ws::faulted},
    /* retiring */ {ws::retiring, ws::retiring, ws::retiring, ws::killed, ws::faulted},
    /* killed   */ {ws::killed, ws::killed, ws::killed, ws::killed, ws::killed},
    /* faulted  */ {ws::faulted, ws::faulted, ws::faulted, ws::faulted, ws::faulted},
}};

static_assert(static_cast<std::size_t>(worker_event::faulted) + 1 == event_count);
static_assert(static_cast<std::size_t>(worker_state::faulted) + 1 == state_count);

} // namespace

worker_state next_state(worker_state s, worker_event ev) noexcept {
    return table[static_cast<std::size_t>(s)][static_cast<std::size_t>(ev)];
}

} // namespace weft::detail::pp
