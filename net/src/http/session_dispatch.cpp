// A request's dispatch through the server's middleware and error pages (pipeline.hpp), for a
// server that has any: session::run() calls step(req, 0) instead of the router and the handler.
//
// The chain: run() calls step 0, the first middleware, with a `next` that calls step 1, and
// so on; the step past the last middleware is endpoint(): the router, then the route's handler,
// or the 404 / 405 answer (the error pages when set). A handler's exception is answered at the
// endpoint (on_error() or the plain 500), so every middleware sees that response as it sees any
// other; a middleware's exception goes up to the middleware before it, and past the first to
// run(), which answers it the same way (answer_failure()).

#include "session.hpp"

#include <weft/runtime/error.hpp>

#include <spdlog/logger.h>

#include <exception>
#include <string>
#include <utility>

namespace weft::http::detail {

namespace {

std::string describe(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        return x.what();
    } catch (...) {
        return "unknown exception";
    }
}

} // namespace

void session::note_failure(const handler* h) noexcept {
    if (h == nullptr) {
        failure_ = std::current_exception();
    }
}

task<void> session::answer_failure(std::optional<server_response>& resp) {
    resp.emplace(co_await error_page(req_, std::exchange(failure_, nullptr)));
}

task<server_response> session::step(request& req, std::size_t i) {
    const std::vector<middleware>& chain = srv_.pipeline.middlewares;
    if (i < chain.size()) {
        return chain[i](req, next_access::make(&session::run_step, this, i + 1));
    }
    return endpoint(req);
}

task<server_response> session::run_step(void* self, request& req, std::size_t i) {
    return static_cast<session*>(self)->step(req, i);
}

task<server_response> session::endpoint(request& req) {
    router::match m = srv_.routes.find(req.method(), req.path(), request_access::params(req));
    const pipeline& p = srv_.pipeline;
    std::exception_ptr failure;
    try {
        if (m.found != nullptr) {
            request_access::set_route(req, m.pattern);
            co_return co_await (*m.found)(req);
        }
        if (!m.allow.empty()) {
            srv_.method_not_allowed.add();
            if (!p.method_not_allowed) {
                server_response r(405, "Method Not Allowed\n");
                r.set_header("Allow", std::move(m.allow));
                co_return r;
            }
            server_response r = co_await p.method_not_allowed(req, m.allow);
            r.set_header("Allow", std::move(m.allow));
            co_return r;
        }
        srv_.not_found.add();
        if (!p.not_found) {
            co_return server_response(404, "Not Found\n");
        }
        co_return co_await p.not_found(req);
    } catch (const weft::cancelled_error&) {
        throw;
    } catch (...) {
        failure = std::current_exception();
    }
    co_return co_await error_page(req, std::move(failure));
}

task<server_response> session::error_page(request& req, std::exception_ptr failure) {
    srv_.handler_errors.add();
    http_log().error("handler for {} {} threw: {}", req.method(), req.target(), describe(failure));
    if (srv_.pipeline.on_error) {
        try {
            co_return co_await srv_.pipeline.on_error(req, failure);
        } catch (const weft::cancelled_error&) {
            throw;
        } catch (...) {
            http_log().error("error handler for {} {} threw: {}", req.method(), req.target(),
                             describe(std::current_exception()));
        }
    }
    co_return server_response(500, "Internal Server Error\n");
}

} // namespace weft::http::detail
