// The runtime's one door for the layers above it inside libweft (net/, and executors/ for the
// redis pool's connections): a loop's Asio io_context, on which sockets and timers complete on the
// loop's thread, and the loops of the weft::run() a loop belongs to, on which a server puts one
// acceptor each. Everything else of a loop's engine (runtime/src/loop_impl.hpp) stays private to
// runtime/; the build puts this folder, not runtime/src, on those layers' include paths. Not
// installed: applications use the public headers.
#pragma once

#include <cstddef>
#include <vector>

namespace asio {
class io_context;
} // namespace asio

namespace weft {
class loop;
} // namespace weft

namespace weft::internal {

/// The io_context that l runs. Operations started on it complete on l's thread.
[[nodiscard]] asio::io_context& io_of(loop& l) noexcept;

/// The loops of the weft::run() that runs l, in index order; only l when l runs alone.
[[nodiscard]] std::vector<loop*> loops_of_run(loop& l);

} // namespace weft::internal
