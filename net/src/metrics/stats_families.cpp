// weft's counters as Prometheus samples (stats_families.hpp). Counters end in _total, durations
// are in seconds, as Prometheus's naming rules ask (promtool checks them in the tests).
#include "stats_families.hpp"

#include <chrono>
#include <utility>

namespace weft::metrics::detail {

namespace {

double seconds(std::chrono::nanoseconds d) {
    return std::chrono::duration<double>(d).count();
}

auto num(auto v) {
    return static_cast<double>(v);
}

} // namespace

void add_loop(family_set& out, const loop_stats& s) {
    const labels l{{"loop", std::to_string(s.loop_id)}};
    out.counter("weft_loop_tasks_created_total", "Tasks started on the event loop.", l,
                num(s.tasks_created));
    out.gauge("weft_loop_tasks", "Tasks alive on the event loop.", l, num(s.live_tasks));
    out.counter("weft_loop_steps_total",
                "Steps the event loop ran (coroutine resumptions and callbacks).", l,
                num(s.steps_run));
    out.gauge("weft_loop_ready_depth", "Steps waiting in the ready queue after the last batch.", l,
              num(s.ready_depth));
    out.gauge("weft_loop_timers", "Timers armed on the event loop.", l, num(s.timers_pending));
    out.gauge("weft_loop_longest_step_seconds",
              "Longest uninterrupted stretch the event loop spent running steps.", l,
              seconds(s.longest_step));
    out.counter("weft_loop_stalls_total",
                "Stretches of steps longer than the slow-callback threshold.", l, num(s.stalls));
}

void add_executor(family_set& out, const std::string& name, const executor_stats& s) {
    const labels l{{"executor", name}};
    out.gauge("weft_executor_max_workers", "Threads the executor may use at once.", l,
              num(s.max_workers));
    out.counter("weft_executor_calls_submitted_total", "Calls the executor accepted.", l,
                num(s.submitted));
    out.counter("weft_executor_calls_completed_total", "Calls that returned a value.", l,
                num(s.completed));
    out.counter("weft_executor_calls_failed_total", "Calls that threw.", l, num(s.failed));
    out.counter("weft_executor_calls_cancelled_total",
                "Calls cancelled before they started (they never ran).", l, num(s.cancelled));
    out.counter("weft_executor_calls_discarded_total",
                "Calls that ran after their awaiter was cancelled.", l, num(s.discarded));
    out.gauge("weft_executor_calls_queued", "Calls accepted and not started.", l, num(s.queued));
    out.gauge("weft_executor_calls_running", "Calls running now.", l, num(s.running));
}

void add_server(family_set& out, const std::string& name, const http::server_stats& s) {
    const labels l{{"server", name}};
    out.gauge("weft_http_connections_open", "Connections being served.", l,
              num(s.connections_open));
    out.counter("weft_http_connections_total", "Connections accepted.", l,
                num(s.connections_total));
    out.counter("weft_http_responses_total", "Responses sent, errors included.", l,
                num(s.requests));
    out.gauge("weft_http_buffered_body_bytes", "Request body bytes buffered now.", l,
              num(s.buffered_bytes));
    const std::pair<const char*, std::uint64_t> errors[] = {
        {"bad_request", s.bad_requests},        // 400, 417, 505
        {"too_large", s.too_large},             // 413, 414, 431
        {"not_implemented", s.not_implemented}, // 501
        {"timeout", s.timeouts},                // 408, idle close
        {"not_found", s.not_found},             // 404
        {"method_not_allowed", s.method_not_allowed},
        {"handler_error", s.handler_errors}, // 500
        {"io_error", s.io_errors},
        {"send_timeout", s.send_timeouts},
        {"over_budget", s.over_budget}, // 503
        {"tls_handshake", s.tls_handshake_failures},
    };
    for (const auto& [kind, n] : errors) {
        labels k = l;
        k.push_back({"kind", kind});
        out.counter("weft_http_errors_total",
                    "Requests and connections that ended in an error, by kind.", std::move(k),
                    num(n));
    }
}

} // namespace weft::metrics::detail
