#pragma once

// Drives a hiredis asynchronous context from a weft loop (private): hiredis's wishes to read or
// write its socket become events of the loop's io_context, and readiness is handed back to
// hiredis on the loop's thread. Nothing here blocks.

struct redisAsyncContext;

namespace asio {
class io_context;
} // namespace asio

namespace weft::detail::rp {

/// Hooks ac's socket to io (the loop's io_context) through hiredis's event hooks. Call it right
/// after redisAsyncConnect*, before setting the connect callback; the hooks undo themselves when
/// hiredis frees ac. Returns false when it could not (ac is then freed by the caller).
bool attach_to_loop(redisAsyncContext* ac, asio::io_context& io);

} // namespace weft::detail::rp
