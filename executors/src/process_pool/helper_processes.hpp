#pragma once

// The entry points of the process pool's helper processes (private): the fork server that
// workers are forked from, and the worker loop. init.cpp decides which one a process runs.

#include <string>
#include <vector>

namespace weft::detail::pp {

/// Environment variables naming the inherited socket of a re-executed worker or fork server.
inline constexpr const char* worker_env = "WEFT_PROCESS_POOL_WORKER";
inline constexpr const char* server_env = "WEFT_PROCESS_POOL_FORK_SERVER";

/// The program's arguments, kept by weft::init for re-executing it.
std::vector<std::string>& saved_args();

/// Starts a fork server for this process; returns the parent's end of its socket.
/// @throws error when the socketpair or the fork fails.
int start_fork_server();

/// Serves spawn and kill requests on ctl until the parent is gone; never returns.
[[noreturn]] void fork_server_main(int ctl);

/// Runs a worker on fd until its parent closes it; never returns.
[[noreturn]] void worker_main(int fd);

/// The parent's end of the fork server's socket, starting a fork server when this process has
/// none (a forked child of the process that called weft::init).
/// @throws invalid_state_error when weft::init was not called.
int fork_server_socket();

} // namespace weft::detail::pp
