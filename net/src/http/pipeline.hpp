#pragma once

// What a server runs around the router (server::use(), on_not_found(), on_method_not_allowed(),
// on_error()): the middlewares in the order added and the error pages. Set before listen(),
// read-only after, like the routes. When none is set (layered is false), a connection calls the
// router and the handler directly, as it always has: a server without middleware pays nothing
// for it.

#include <weft/net/http/middleware.hpp>
#include <weft/net/http/server.hpp>

#include <vector>

namespace weft::http::detail {

struct pipeline {
    std::vector<middleware> middlewares;           // the first is the outermost
    handler not_found;                             // empty: a plain 404
    method_not_allowed_handler method_not_allowed; // empty: a plain 405
    error_handler on_error;                        // empty: a plain 500
    bool layered = false; // any of the above is set: run() calls session::step(req, 0)
};

} // namespace weft::http::detail
