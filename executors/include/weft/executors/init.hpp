#pragma once

namespace weft {

/// Prepares the process for weft::process_pool. Call it as the first statement of main(), before
/// any thread exists:
///
///     int main(int argc, char** argv) {
///         weft::init(argc, argv);
///         ...
///     }
///
/// In the program itself it starts the fork server: a small single-threaded child from which
/// every pool worker is forked (Python's "forkserver"), so workers start correctly however many
/// loop and oneTBB threads the program runs later. When the program was started as a helper
/// (a fork server or a worker re-executed from /proc/self/exe, the "spawn" start method and the
/// fallback when init() ran after threads already existed), it runs that helper and never returns
/// into main. Calling it again does nothing.
void init(int argc, char** argv);

/// Whether weft::init() was called in this program.
[[nodiscard]] bool initialized() noexcept;

} // namespace weft
