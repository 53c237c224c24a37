// `weft fetch`'s requests (requests.hpp): the workers that take URLs off the list, one request
// per URL with the -X/-H/-d request, each timed and its failure typed; -v's lines; the progress
// bar with its phase and rate.

#include "requests.hpp"

#include "common/progress_bar.hpp"

#include <weft/weft.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

namespace weft::tools::fetch {

namespace {

using std::chrono::steady_clock;

/// Progress through the URL list on stderr: only for longer lists (20 URLs or more), at most
/// every 100 ms, and only on a terminal (the bar's own rule); cleared when the pass ends.
class progress {
public:
    progress(std::size_t total, bool enabled, std::string_view mode) : total_(total), mode_(mode) {
        if (enabled && total >= 20) {
            bar_.emplace(stderr);
        }
    }

    void step() {
        ++done_;
        if (!bar_ || !bar_->drawn()) {
            return;
        }
        const auto now = steady_clock::now();
        if (done_ != total_ && now - last_ < std::chrono::milliseconds(100)) {
            return;
        }
        last_ = now;
        const double elapsed = std::chrono::duration<double>(now - start_).count();
        const std::string label =
            std::string(mode_) + " " + std::to_string(done_) + "/" + std::to_string(total_);
        bar_->update(progress_state{
            .fraction = static_cast<double>(done_) / static_cast<double>(total_),
            .phase = "fetching",
            .label = label,
            .rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0,
            .rate_unit = " req/s",
        });
    }

private:
    std::size_t total_;
    std::string_view mode_;
    std::size_t done_ = 0;
    std::optional<progress_bar> bar_;
    steady_clock::time_point start_ = steady_clock::now();
    steady_clock::time_point last_{};
};

/// "host:port" of a URL that has its scheme (normalise_url made sure), without user:password@.
std::string host_of(const std::string& url) {
    const std::size_t start = url.find("://") + 3;
    const std::size_t end = std::min(url.find_first_of("/?#", start), url.size());
    std::string authority = url.substr(start, end - start);
    if (const auto at = authority.rfind('@'); at != std::string::npos) {
        authority.erase(0, at + 1);
    }
    return authority;
}

/// The request target: path and query ("/" when the URL has none).
std::string target_of(const std::string& url) {
    const std::size_t start = url.find("://") + 3;
    const std::size_t path = url.find_first_of("/?", start);
    std::string t = path == std::string::npos ? "/" : url.substr(path);
    if (const auto hash = t.find('#'); hash != std::string::npos) {
        t.erase(hash);
    }
    return t.empty() || t[0] == '?' ? "/" + t : t;
}

/// -v: the request as weft fetch asks for it, "> " lines as curl prints them. libcurl adds
/// Accept and Accept-Encoding itself; those are not shown (the client does not report them).
void print_request(const std::string& url, const request_spec& spec,
                   const http::client_options& copts) {
    std::string s =
        "> " + spec.method + " " + target_of(url) + "\n> Host: " + host_of(url) +
        "\n> User-Agent: " +
        (copts.user_agent.empty() ? std::string("weft/") + weft::version() : copts.user_agent) +
        "\n";
    for (const http::header_field& f : spec.headers) {
        s += "> " + f.name + ": " + f.value + "\n";
    }
    if (!spec.body.empty()) {
        if (!spec.headers.contains("Content-Type")) {
            s += "> Content-Type: application/x-www-form-urlencoded\n"; // libcurl's, as curl -d
        }
        s += "> Content-Length: " + std::to_string(spec.body.size()) + "\n";
    }
    s += ">\n";
    std::fwrite(s.data(), 1, s.size(), stderr); // one write: concurrent requests do not interleave
}

/// -v: the final response's status line and header fields, "< " lines.
void print_response(const http::response& r) {
    std::string s;
    if (r.redirects > 0) {
        s += "* followed " + std::to_string(r.redirects) +
             (r.redirects == 1 ? " redirect" : " redirects") + " to " + r.url + "\n";
    }
    s += "< " + std::string(http::to_string(r.version)) + " " + std::to_string(r.status) + "\n";
    for (const http::header_field& f : r.headers) {
        s += "< " + f.name + ": " + f.value + "\n";
    }
    s += "<\n";
    std::fwrite(s.data(), 1, s.size(), stderr);
}

task<result> fetch_one(const http::client& c, std::string url, const pass_settings& how,
                       std::string* body) {
    result r;
    r.url = url;
    const request_spec& spec = *how.spec;
    if (how.verbose) {
        print_request(url, spec, c.opts());
    }
    const auto start = steady_clock::now();
    try {
        http::response resp =
            co_await c.request(spec.method, std::move(url), spec.headers, spec.body);
        r.status = resp.status;
        r.bytes = resp.body_bytes;
        if (how.verbose) {
            print_response(resp);
        }
        if (body != nullptr) {
            *body = std::move(resp.body);
        }
    } catch (const std::exception& e) {
        r.error = e.what();
        r.error_kind = error_kind(e);
        if (how.verbose) {
            std::fprintf(stderr, "* %s\n", r.error.c_str());
        }
    }
    r.seconds = std::chrono::duration<double>(steady_clock::now() - start).count();
    r.done = true;
    co_return r;
}

} // namespace

std::string error_kind(const std::exception& e) {
    if (dynamic_cast<const http::resolve_error*>(&e) != nullptr) {
        return "resolve";
    }
    if (dynamic_cast<const http::connect_error*>(&e) != nullptr) {
        return "connect";
    }
    if (dynamic_cast<const http::tls_error*>(&e) != nullptr) {
        return "tls";
    }
    if (dynamic_cast<const http::timeout_error*>(&e) != nullptr) {
        return "timeout";
    }
    if (dynamic_cast<const http::too_many_redirects*>(&e) != nullptr) {
        return "redirects";
    }
    if (dynamic_cast<const http::invalid_url_error*>(&e) != nullptr) {
        return "url";
    }
    if (dynamic_cast<const http::response_too_large*>(&e) != nullptr) {
        return "too-large";
    }
    if (dynamic_cast<const http::headers_too_large*>(&e) != nullptr) {
        return "headers-too-large";
    }
    return "error";
}

task<void> fetch_all(const http::client& c, const std::vector<std::string>& urls, int concurrency,
                     const pass_settings& how, run_result& out) {
    out.concurrency = std::max(1, std::min<int>(concurrency, static_cast<int>(urls.size())));
    // Each request in flight holds its own copy of a -d body: together they stay under
    // max_bodies_in_flight, whatever the concurrency asked for.
    if (const std::size_t b = how.spec != nullptr ? how.spec->body.size() : 0; b > 0) {
        const auto room = static_cast<int>(
            std::min<std::size_t>(std::max<std::size_t>(1, max_bodies_in_flight / b), 1u << 20));
        out.concurrency = std::min(out.concurrency, room);
    }
    out.results.assign(urls.size(), result{});
    progress bar(urls.size(), how.progress, how.mode);
    std::size_t next = 0;
    auto worker = [&]() -> task<void> {
        while (next < urls.size()) {
            const std::size_t i = next++;
            out.results[i] = co_await fetch_one(c, urls[i], how, i == 0 ? how.body : nullptr);
            bar.step();
        }
    };
    const auto start = steady_clock::now();
    struct timing {
        run_result& out;
        steady_clock::time_point start;
        ~timing() {
            out.seconds = std::chrono::duration<double>(steady_clock::now() - start).count();
        }
    } timed{out, start};
    std::vector<task<void>> workers;
    for (int w = 0; w < out.concurrency; ++w) {
        workers.push_back(worker());
    }
    // gather: a cancellation cancels the workers and waits for them before this frame goes.
    co_await weft::gather(std::move(workers));
}

} // namespace weft::tools::fetch
