#pragma once

#include <weft/net/http/request.hpp>
#include <weft/net/http/server_response.hpp>
#include <weft/runtime/task.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <string_view>

namespace weft::http {

namespace detail {
struct next_access;
} // namespace detail

/// The rest of a request's dispatch as a middleware sees it: the middlewares added after it, then
/// the router and the route's handler (or the 404 / 405 answer). `co_await next(req)` runs them
/// and returns their response, which the middleware may change before returning it. A small
/// value (a function pointer, the connection and a step), valid only while the middleware's own
/// call runs.
class next {
public:
    /// Runs the rest of the dispatch for req (the request the middleware was given).
    /// A handler's exception does not come out of it: the server has turned it into a 500 (or
    /// the on_error() page) already; an exception of a later middleware does.
    [[nodiscard]] task<server_response> operator()(request& req) const {
        return run_(self_, req, step_);
    }

private:
    friend struct detail::next_access;
    using run_fn = task<server_response> (*)(void*, request&, std::size_t);
    next(run_fn run, void* self, std::size_t step) noexcept : run_(run), self_(self), step_(step) {}

    run_fn run_;
    void* self_;
    std::size_t step_;
};

/// Code around every request's dispatch (server::use()): sees the request, may answer it alone,
/// or call `co_await next(req)` and see or change the response it returns.
using middleware = std::function<task<server_response>(request&, next)>;

/// The answer to a request whose path matches routes of other methods only (server::
/// on_method_not_allowed()): allow lists those methods ("GET, HEAD, POST"), and the server sets
/// the Allow header of the response to it.
using method_not_allowed_handler =
    std::function<task<server_response>(request&, std::string_view allow)>;

/// The answer to a request whose handler or middleware threw (server::on_error()): error is the
/// exception (`std::rethrow_exception(error)` inside a try block tells its type).
using error_handler = std::function<task<server_response>(request&, std::exception_ptr error)>;

} // namespace weft::http
