#pragma once

#include <functional>

namespace weft {

/// Runs fn on the calling task's loop each time signal sig arrives (asyncio's
/// loop.add_signal_handler): never in signal context, so fn may do anything a loop callback may.
/// Replaces an earlier handler for sig, and for SIGINT/SIGTERM the default of cancelling the main
/// task. Handlers live as long as the runtime (or stand-alone loop).
/// @throws std::invalid_argument for a signal that cannot be handled this way (SIGKILL, SIGSTOP,
/// the synchronous SIGSEGV/SIGBUS/SIGFPE/SIGILL, or not a signal number).
/// @throws invalid_state_error outside a weft loop.
void add_signal_handler(int sig, std::function<void()> fn);

/// Removes the handler added for sig; returns whether there was one (asyncio's
/// loop.remove_signal_handler). SIGINT/SIGTERM go back to cancelling the main task when
/// options::handle_signals is on, other signals to their default action.
/// @throws invalid_state_error outside a weft loop.
bool remove_signal_handler(int sig);

} // namespace weft
