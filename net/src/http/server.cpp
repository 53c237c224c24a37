// weft::http::server, the public face (server.hpp): routes added before listen(), a net::server
// accepting on every serving loop, one session per connection on its own loop (session.hpp),
// close() reaching idle connections through the registry, and stats() summing the counters. What
// the server and its connections share is server::impl (server_impl.hpp).

#include <weft/net/http/server.hpp>

#include "server_impl.hpp"
#include "session.hpp"

#include <weft/net/connection.hpp>
#include <weft/net/error.hpp>
#include <weft/net/server.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/future.hpp>

#include <sys/resource.h>

#include <spdlog/logger.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace weft::http {

using detail::http_log;

task<void> server::impl::serve_connection(std::shared_ptr<impl> self, net::connection conn) {
    self->connections_open.add();
    self->connections_total.add();
    struct open_guard {
        impl* s;
        ~open_guard() { s->connections_open.sub(); }
    } guard{self.get()};
    detail::session s(*self, conn);
    try {
        co_await s.run();
    } catch (const net::error& e) {
        if (!s.send_timed_out() && !self->closing.load(std::memory_order_relaxed)) {
            self->io_errors.add();
        }
        http_log().debug("connection ended: {}", e.what());
    } catch (const std::exception& e) {
        self->io_errors.add();
        http_log().error("connection failed: {}", e.what());
    }
    if (s.send_timed_out()) {
        self->send_timeouts.add();
        if (http_log().should_log(spdlog::level::debug)) {
            http_log().debug("connection reset: a response write made no progress for {} ms",
                             self->opts.send_timeout.count());
        }
    }
}

std::size_t default_max_connections() noexcept {
    constexpr std::size_t ceiling = std::size_t{1} << 20;
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY ||
        lim.rlim_cur > ceiling) {
        return ceiling;
    }
    const auto soft = static_cast<std::size_t>(lim.rlim_cur);
    const std::size_t reserve = std::max<std::size_t>(32, soft / 16);
    return soft > reserve ? soft - reserve : 1;
}

server::server(server_options opts) : impl_(std::make_shared<impl>(std::move(opts))) {}

server::~server() {
    impl_->metrics_export.reset(); // no scrape reads this server's counters past here
    close();
    // The listening server holds the connection handler, which holds impl: drop it to break the
    // cycle. Connections still running keep impl alive through their own reference.
    impl_->tcp.reset();
}

server& server::route(std::string_view method, std::string_view pattern, handler h) {
    if (impl_->listening.load()) {
        throw weft::error("weft::http::server::route: add routes before listen()");
    }
    impl_->routes.add(method, pattern, std::move(h));
    return *this;
}

namespace {

/// What an HTTPS port answers, unencrypted, to a plain HTTP request (as nginx does).
std::string plain_http_on_tls_reply() {
    static constexpr std::string_view body =
        "This port speaks HTTPS: the request was plain HTTP.\n";
    return "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + std::string(body);
}

// The pipeline of a server that does not listen yet (use() and the error pages), or throws.
detail::pipeline& open_pipeline(server::impl& i, const char* what) {
    if (i.listening.load()) {
        throw weft::error(std::string("weft::http::server::") + what + ": call it before listen()");
    }
    i.pipeline.layered = true;
    return i.pipeline;
}

} // namespace

server& server::use(middleware m) {
    if (!m) {
        throw weft::error("weft::http::server::use: empty middleware");
    }
    open_pipeline(*impl_, "use").middlewares.push_back(std::move(m));
    return *this;
}

server& server::on_not_found(handler h) {
    open_pipeline(*impl_, "on_not_found").not_found = std::move(h);
    return *this;
}

server& server::on_method_not_allowed(method_not_allowed_handler h) {
    open_pipeline(*impl_, "on_method_not_allowed").method_not_allowed = std::move(h);
    return *this;
}

server& server::on_error(error_handler h) {
    open_pipeline(*impl_, "on_error").on_error = std::move(h);
    return *this;
}

task<void> server::listen(std::string host, std::uint16_t port) {
    if (impl_->listening.exchange(true)) {
        throw weft::error("weft::http::server::listen: already listening");
    }
    net::server_options o;
    o.backlog = impl_->opts.backlog;
    // net::server counts its limit over all loops, as this option does (0 there: no limit).
    const std::size_t max_connections = impl_->opts.max_connections;
    o.max_connections = max_connections == 0          ? default_max_connections()
                        : max_connections == SIZE_MAX ? 0
                                                      : max_connections;
    if (impl_->opts.loops != 0) {
        o.loops = impl_->opts.loops;
    }
    o.tls = impl_->opts.tls; // the handshake is done before the session starts
    o.plain_http_reply = plain_http_on_tls_reply();
    std::shared_ptr<impl> self = impl_;
    auto on_connection = [self](net::connection c) -> task<void> {
        return impl::serve_connection(self, std::move(c));
    };
    impl_->tcp.emplace(
        co_await net::start_server(std::move(on_connection), std::move(host), port, std::move(o)));
}

task<void> server::serve(std::string host, std::uint16_t port) {
    co_await listen(std::move(host), port);
    future<void> closed = impl_->closed_future;
    co_await closed;
    co_await wait_closed();
}

std::uint16_t server::port() const noexcept {
    return impl_->tcp ? impl_->tcp->port() : 0;
}

void server::close() {
    if (!impl_ || impl_->closing.exchange(true)) {
        return;
    }
    if (impl_->tcp) {
        impl_->tcp->close();
    }
    impl_->connections.close_idle();
    impl_->closed_promise.set_value();
}

task<void> server::wait_closed(std::optional<clock::duration> grace) {
    if (impl_->tcp) {
        co_await impl_->tcp->wait_closed(grace);
    }
}

server_stats server::stats() const noexcept {
    const impl& i = *impl_;
    server_stats s;
    s.connections_open = i.connections_open.get();
    s.connections_total = i.connections_total.get();
    s.requests = i.connections.requests();
    s.bad_requests = i.bad_requests.get();
    s.too_large = i.too_large.get();
    s.not_implemented = i.not_implemented.get();
    s.timeouts = i.timeouts.get();
    s.not_found = i.not_found.get();
    s.method_not_allowed = i.method_not_allowed.get();
    s.handler_errors = i.handler_errors.get();
    s.io_errors = i.io_errors.get();
    s.send_timeouts = i.send_timeouts.get();
    s.over_budget = i.over_budget.get();
    s.buffered_bytes = i.buffered.get();
    s.tls_handshake_failures = i.tcp ? i.tcp->stats().tls_handshake_failures : 0;
    return s;
}

void server::reload_tls() {
    if (!impl_->tcp || !impl_->opts.tls) {
        throw weft::error("weft::http::server::reload_tls: the server does not listen with TLS");
    }
    impl_->tcp->reload_tls();
}

} // namespace weft::http
