#pragma once

// The life of a worker process as its pool sees it: the states, the events that move a worker
// between them, and (in worker_state.cpp) the one table of transitions.
//
//   spawning --spawned----> starting --said_ready--> ready
//   spawning --said_ready--> ready      (its ready frame came before the fork server's record)
//   spawning, starting, ready           --closed---> retiring
//   spawning, starting, ready, retiring --killed---> killed
//   spawning, starting, ready, retiring --faulted--> faulted
//
// killed and faulted are final; every event not drawn leaves the state as it is.
//
// Two facts are orthogonal to the state and kept beside it in `worker`: whether the pool's end of
// the worker's socket is open, and whether the fork server reaped the process (its wait status).
// A worker in any state is finalised (its calls settled, its slot freed) once its socket is
// closed and it was reaped.

#include <cstdint>

namespace weft::detail::pp {

enum class worker_state : std::uint8_t {
    /// Asked of the fork server; no pid yet.
    spawning,
    /// Forked (pid known) and running the pool's initializer; takes no call yet.
    starting,
    /// Said ready: takes calls.
    ready,
    /// The pool closed its socket on purpose (idle while the pool stops, used up by
    /// max_tasks_per_child, pool destroyed): it exits on EOF, and its end is no failure.
    retiring,
    /// The pool killed it and settled the call it was running itself (cancelled, timed out), or
    /// it ran none (shutdown). A kill requested before its pid was known is sent once it is.
    killed,
    /// The pool killed it for breaking the protocol: the call it was running fails as a crash.
    faulted,
};

enum class worker_event : std::uint8_t {
    /// The fork server reported its pid.
    spawned,
    /// It reported its initializer done.
    said_ready,
    /// The pool closed its socket on purpose.
    closed,
    /// The pool kills it for a call it settles itself, or at shutdown.
    killed,
    /// The pool kills it for a protocol error.
    faulted,
};

/// The state that ev leads to from s (s itself when ev changes nothing there).
[[nodiscard]] worker_state next_state(worker_state s, worker_event ev) noexcept;

/// Counts toward the pool's size: not on its way out.
[[nodiscard]] constexpr bool is_live(worker_state s) noexcept {
    return s == worker_state::spawning || s == worker_state::starting || s == worker_state::ready;
}

/// Has not said ready yet (its end before that counts as a failure to start).
[[nodiscard]] constexpr bool is_starting(worker_state s) noexcept {
    return s == worker_state::spawning || s == worker_state::starting;
}

/// The pool killed it (or will, once its pid is known).
[[nodiscard]] constexpr bool is_killed(worker_state s) noexcept {
    return s == worker_state::killed || s == worker_state::faulted;
}

/// The call it was running was settled by the pool when it killed it: its end fails no call.
[[nodiscard]] constexpr bool head_settled(worker_state s) noexcept {
    return s == worker_state::killed;
}

} // namespace weft::detail::pp
