// weft::http::client (client.hpp) and one request: preparing its libcurl easy handle, the header
// and body callbacks with their size limits, awaiting the transfer on the loop's multi handle
// (multi.cpp), and turning the outcome into a response or a typed error. Also: http_version names
// and response::raise_for_status().
#include "multi.hpp"

#include <weft/net/http/client.hpp>
#include <weft/runtime/detail/loop_ops.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/version.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace weft::http {

std::string_view to_string(http_version v) noexcept {
    switch (v) {
    case http_version::http1_0:
        return "HTTP/1.0";
    case http_version::http1_1:
        return "HTTP/1.1";
    case http_version::http2:
        return "HTTP/2";
    case http_version::http3:
        return "HTTP/3";
    case http_version::unknown:
        break;
    }
    return "unknown";
}

void response::raise_for_status() const {
    if (status >= 400) {
        throw status_error("HTTP status " + std::to_string(status) + " from " + url, url, status);
    }
}

namespace detail {

namespace {

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
        s.remove_suffix(1);
    }
    return s;
}

// libcurl's callbacks run inside C code: nothing may escape them. Returning CURL_WRITEFUNC_ERROR
// (or any count other than the one given) makes libcurl fail the transfer with CURLE_WRITE_ERROR;
// t->aborted says why, and throw_for turns that into the typed error.
std::size_t on_body(char* data, std::size_t size, std::size_t n, void* userp) noexcept {
    auto* t = static_cast<transfer*>(userp);
    const std::size_t len = size * n;
    t->body_started = true;
    if (t->max_body != 0 && len > t->max_body - std::min(t->max_body, t->resp.body_bytes)) {
        t->aborted = abort_reason::body_limit;
        return CURL_WRITEFUNC_ERROR;
    }
    if (t->has_deadline && std::chrono::steady_clock::now() >= t->deadline) {
        t->aborted = abort_reason::deadline;
        return CURL_WRITEFUNC_ERROR;
    }
    if (t->ctx->must_yield(*t, len)) {
        return CURL_WRITEFUNC_PAUSE; // libcurl keeps the bytes and hands them over again
    }
    if (t->keep_body) {
        try {
            t->resp.body.append(data, len);
        } catch (...) {
            return CURL_WRITEFUNC_ERROR;
        }
    }
    t->resp.body_bytes += len;
    return len;
}

/// Content-Length as a reservation for the body: at most this much, whatever the header claims.
constexpr std::size_t max_body_reservation = std::size_t{4} << 20;

// One header line per call; a status line starts a new response (after a redirect or a 100
// Continue), whose fields replace the previous ones. Every line counts towards max_header_bytes.
std::size_t on_header(char* data, std::size_t size, std::size_t n, void* userp) noexcept {
    auto* t = static_cast<transfer*>(userp);
    const std::size_t len = size * n;
    t->head_bytes += len;
    if (t->max_head != 0 && t->head_bytes > t->max_head) {
        t->aborted = abort_reason::header_limit;
        return CURL_WRITEFUNC_ERROR;
    }
    const std::string_view line = trim(std::string_view(data, len));
    if (line.starts_with("HTTP/")) {
        t->resp.headers.clear();
        return len;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        return len;
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    try {
        if (name.size() == 14 && !t->nobody && iequals(name, "Content-Length")) {
            std::size_t length = 0;
            const auto [end, ec] =
                std::from_chars(value.data(), value.data() + value.size(), length);
            if (ec == std::errc() && end == value.data() + value.size() && length > 0 &&
                t->keep_body) {
                std::size_t cap = max_body_reservation;
                if (t->max_body != 0) {
                    cap = std::min(cap, t->max_body);
                }
                t->resp.body.reserve(std::min(length, cap));
            }
        }
        t->resp.headers.add(std::string(name), std::string(value));
    } catch (...) {
        return CURL_WRITEFUNC_ERROR;
    }
    return len;
}

/// Whether libcurl failed t because a response head was larger than it accepts: a header line
/// over CURL_MAX_HTTP_HEADER (reported as CURLE_OUT_OF_MEMORY), or heads over its total limit.
bool libcurl_head_limit(const transfer& t) noexcept {
    if (t.body_started) {
        return false;
    }
    if (t.code == CURLE_OUT_OF_MEMORY) {
        return true;
    }
    return std::string_view(t.errbuf).find("oo large response header") != std::string_view::npos;
}

/// Throws the typed error for a transfer that weft's own callbacks aborted, or that libcurl
/// failed on a head over its own limits; returns otherwise.
void throw_for_limit(const transfer& t) {
    const std::string what = t.method + " " + t.url + ": ";
    switch (t.aborted) {
    case abort_reason::body_limit:
        throw response_too_large(what + "the response body exceeds max_response_bytes (" +
                                     std::to_string(t.max_body) +
                                     " bytes, counted after decoding); transfer aborted",
                                 t.url, t.max_body);
    case abort_reason::header_limit:
        throw headers_too_large(what + "the response head exceeds max_header_bytes (" +
                                    std::to_string(t.max_head) + " bytes); transfer aborted",
                                t.url, t.max_head);
    case abort_reason::deadline:
        throw timeout_error(what + "timed out receiving the body (client_options::timeout)", t.url);
    case abort_reason::none:
        break;
    }
    if (libcurl_head_limit(t)) {
        const std::string why =
            t.errbuf[0] != '\0' ? std::string(t.errbuf) : std::string(curl_easy_strerror(t.code));
        throw headers_too_large(what + "the response head is larger than libcurl accepts (a " +
                                    "header line over " + std::to_string(CURL_MAX_HTTP_HEADER) +
                                    " bytes, or heads over 300 KiB): " + why,
                                t.url, CURL_MAX_HTTP_HEADER);
    }
}

[[noreturn]] void throw_for(const transfer& t) {
    throw_for_limit(t);
    const std::string why =
        t.errbuf[0] != '\0' ? std::string(t.errbuf) : std::string(curl_easy_strerror(t.code));
    const std::string msg = t.method + " " + t.url + ": " + why;
    switch (t.code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        throw resolve_error(msg, t.url);
    case CURLE_COULDNT_CONNECT:
        throw connect_error(msg, t.url);
    case CURLE_OPERATION_TIMEDOUT:
        throw timeout_error(msg, t.url);
    case CURLE_TOO_MANY_REDIRECTS:
        throw too_many_redirects(msg, t.url);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        throw invalid_url_error(msg, t.url);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
        throw tls_error(msg, t.url);
    default:
        throw client_error(msg, t.url);
    }
}

template <class T>
void set(transfer& t, CURLoption opt, T value) {
    if (curl_easy_setopt(t.easy, opt, value) != CURLE_OK) {
        throw client_error(t.method + " " + t.url + ": libcurl refused option " +
                               std::to_string(static_cast<int>(opt)),
                           t.url);
    }
}

/// The URL's scheme, checked: libcurl would only fail it when the transfer starts
/// (CURLE_URL_MALFORMAT), so a typo fails here at once with a clear message.
/// @throws invalid_url_error when it is not http or https.
std::string_view checked_scheme(const transfer& t) {
    const auto sep = t.url.find("://");
    const std::string_view scheme =
        sep == std::string::npos ? std::string_view() : std::string_view(t.url).substr(0, sep);
    if (!iequals(scheme, "http") && !iequals(scheme, "https")) {
        throw invalid_url_error(
            t.method + " " + t.url + ": invalid URL (" +
                (sep == std::string::npos
                     ? std::string("no scheme; http:// or https:// expected")
                     : "unsupported scheme '" + std::string(scheme) + "'; http and https are") +
                ")",
            t.url);
    }
    return scheme;
}

/// The options every request of a client sets alike; a handle that served a plain GET of this
/// client keeps them.
void set_client_options(transfer& t, const client_state& st) {
    const client_options& o = st.opts;
    set(t, CURLOPT_NOSIGNAL, 1L);
    set(t, CURLOPT_WRITEFUNCTION, &on_body);
    set(t, CURLOPT_HEADERFUNCTION, &on_header);
    set(t, CURLOPT_CLOSESOCKETFUNCTION, &multi_ctx::close_socket);
    set(t, CURLOPT_CLOSESOCKETDATA, static_cast<void*>(t.ctx.get()));
    set(t, CURLOPT_PROTOCOLS_STR, "http,https");
    set(t, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (o.decompress) {
        set(t, CURLOPT_ACCEPT_ENCODING, ""); // every coding libcurl can decode
    }
    if (o.max_redirects > 0) {
        set(t, CURLOPT_FOLLOWLOCATION, 1L);
        set(t, CURLOPT_MAXREDIRS, static_cast<long>(o.max_redirects));
    }
    if (o.connect_timeout.count() > 0) {
        set(t, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout.count()));
    }
    if (o.timeout.count() > 0) {
        set(t, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout.count()));
    }
    set(t, CURLOPT_USERAGENT,
        o.user_agent.empty() ? "weft/" WEFT_VERSION_STRING : o.user_agent.c_str());
    if (!st.may_use_proxy) {
        set(t, CURLOPT_PROXY, ""); // no proxy: libcurl then skips its environment look-up
    }
    set(t, CURLOPT_SSL_VERIFYPEER, o.verify_tls ? 1L : 0L);
    set(t, CURLOPT_SSL_VERIFYHOST, o.verify_tls ? 2L : 0L);
    if (!o.ca_file.empty()) {
        set(t, CURLOPT_CAINFO, o.ca_file.c_str());
    }
    set(t, CURLOPT_HTTP_VERSION,
        o.http2 ? static_cast<long>(CURL_HTTP_VERSION_2TLS)
                : static_cast<long>(CURL_HTTP_VERSION_1_1));
}

/// The request's method, body and headers; an empty header value needs libcurl's "Name;" form.
void set_method_body_headers(transfer& t, const headers& hdrs) {
    if (t.nobody) {
        set(t, CURLOPT_NOBODY, 1L);
    } else if (t.method == "GET" && t.body.empty()) {
        set(t, CURLOPT_HTTPGET, 1L);
    } else {
        if (!t.body.empty() || t.method == "POST" || t.method == "PUT" || t.method == "PATCH") {
            set(t, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.body.size()));
            set(t, CURLOPT_POSTFIELDS, t.body.data());
        }
        if (t.method != "POST") {
            set(t, CURLOPT_CUSTOMREQUEST, t.method.c_str());
        }
    }
    for (const header_field& f : hdrs) {
        const std::string line = f.value.empty() ? f.name + ";" : f.name + ": " + f.value;
        curl_slist* l = curl_slist_append(t.header_list, line.c_str());
        if (l == nullptr) {
            throw std::bad_alloc();
        }
        t.header_list = l;
    }
    if (!t.body.empty() && !hdrs.contains("Expect")) {
        t.header_list = curl_slist_append(t.header_list, "Expect:"); // no 100-continue round trip
    }
    if (t.header_list != nullptr) {
        set(t, CURLOPT_HTTPHEADER, t.header_list);
    }
}

/// Prepares t's easy handle. @throws invalid_url_error for a URL libcurl cannot parse.
void prepare(transfer& t, const client_state& st, const headers& hdrs) {
    const client_options& o = st.opts;
    if (t.method.empty()) {
        throw client_error("HTTP request with an empty method for " + t.url, t.url);
    }
    const std::string_view scheme = checked_scheme(t);
    t.max_body = o.max_response_bytes;
    t.max_head = o.max_header_bytes;
    t.keep_body = o.keep_body;
    t.plain = t.method == "GET" && t.body.empty() && hdrs.empty();
    t.nobody = t.method == "HEAD";
    const auto [easy, configured] = t.ctx->acquire_easy(t.plain);
    t.easy = easy;
    // Per request.
    CURLUcode urc = CURLUE_OK;
    t.parsed_url = t.ctx->parsed_url(t.url, urc);
    if (t.parsed_url == nullptr) {
        throw invalid_url_error(
            t.method + " " + t.url + ": invalid URL (" + curl_url_strerror(urc) + ")", t.url);
    }
    set(t, CURLOPT_CURLU, t.parsed_url.get());
    set(t, CURLOPT_PRIVATE, static_cast<void*>(&t));
    set(t, CURLOPT_ERRORBUFFER, t.errbuf);
    set(t, CURLOPT_WRITEDATA, static_cast<void*>(&t));
    set(t, CURLOPT_HEADERDATA, static_cast<void*>(&t));
    // Prefer multiplexing on an HTTP/2 connection to opening a new one; ALPN tells soon. Not for
    // plain http, where it would hold requests back until a whole response arrived.
    set(t, CURLOPT_PIPEWAIT, o.http2 && iequals(scheme, "https") ? 1L : 0L);
    if (configured) {
        return; // a handle that served a plain GET of this client keeps the rest
    }
    set_client_options(t, st);
    set_method_body_headers(t, hdrs);
}

void collect(transfer& t) {
    response& r = t.resp;
    long status = 0;
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
    r.status = static_cast<int>(status);
    char* eff = nullptr;
    if (curl_easy_getinfo(t.easy, CURLINFO_EFFECTIVE_URL, &eff) != CURLE_OK || eff == nullptr ||
        t.url == eff) {
        r.url = std::move(t.url); // the request's own URL: no copy (t.url is not used again)
    } else {
        r.url = eff;
    }
    long version = 0;
    curl_easy_getinfo(t.easy, CURLINFO_HTTP_VERSION, &version);
    switch (version) {
    case CURL_HTTP_VERSION_1_0:
        r.version = http_version::http1_0;
        break;
    case CURL_HTTP_VERSION_1_1:
        r.version = http_version::http1_1;
        break;
    case CURL_HTTP_VERSION_2_0:
        r.version = http_version::http2;
        break;
    case CURL_HTTP_VERSION_3:
        r.version = http_version::http3;
        break;
    default:
        r.version = http_version::unknown;
    }
    long redirects = 0;
    curl_easy_getinfo(t.easy, CURLINFO_REDIRECT_COUNT, &redirects);
    r.redirects = static_cast<int>(redirects);
    curl_easy_getinfo(t.easy, CURLINFO_NUM_CONNECTS, &r.new_connections);
    auto us = [&](CURLINFO info) {
        curl_off_t v = 0;
        curl_easy_getinfo(t.easy, info, &v);
        return std::chrono::microseconds(v);
    };
    r.timings.name_lookup = us(CURLINFO_NAMELOOKUP_TIME_T);
    r.timings.connect = us(CURLINFO_CONNECT_TIME_T);
    r.timings.tls = us(CURLINFO_APPCONNECT_TIME_T);
    r.timings.first_byte = us(CURLINFO_STARTTRANSFER_TIME_T);
    r.timings.total = us(CURLINFO_TOTAL_TIME_T);
}

/// Suspends until the transfer completes on the caller's loop; a cancellation aborts it.
class transfer_awaiter : private weft::detail::cancellable_wait {
public:
    explicit transfer_awaiter(transfer& t) noexcept : t_(t) {}

    [[nodiscard]] bool await_ready() const noexcept { return false; }

    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
        if (!enter(h)) {
            return false;
        }
        t_.waiter = h;
        t_.ctx->add(t_);
        arm_hook(&on_cancel, this);
        return true;
    }

    void await_resume() { leave("HTTP request was cancelled"); }

private:
    // Runs on the task's home loop, the loop of the transfer's multi handle.
    static bool on_cancel(void* p) noexcept {
        auto* self = static_cast<transfer_awaiter*>(p);
        transfer& t = self->t_;
        if (!t.in_multi) {
            return false; // finished: its resumption is queued, the request stays pending
        }
        t.ctx->abort(t);
        self->cancelled_ = true;
        weft::detail::schedule(t.ctx->home(), weft::detail::resume_runnable(t.waiter));
        return true;
    }

    transfer& t_;
};

task<response> perform(std::shared_ptr<client_state> st, std::string method, std::string url,
                       headers hdrs, std::string body) {
    weft::loop* l = weft::detail::current_loop_ptr();
    if (l == nullptr) {
        throw invalid_state_error("weft::http request awaited outside a weft loop");
    }
    transfer t;
    t.method = std::move(method);
    t.url = std::move(url);
    t.body = std::move(body);
    if (st->closed.load(std::memory_order_acquire)) {
        throw client_error(t.method + " " + t.url + ": the HTTP client was destroyed", t.url);
    }
    t.ctx = multi_for(*st, *l);
    prepare(t, *st, hdrs);
    if (st->opts.timeout.count() > 0) {
        t.has_deadline = true;
        t.deadline = std::chrono::steady_clock::now() + st->opts.timeout;
    }
    co_await transfer_awaiter(t);
    if (t.closed_by_client) {
        throw client_error(
            t.method + " " + t.url + ": the HTTP client was closed during the request", t.url);
    }
    if (t.code != CURLE_OK) {
        throw_for(t);
    }
    collect(t);
    co_return std::move(t.resp);
}

} // namespace

} // namespace detail

client::client() : client(options{}) {}

client::client(options opts) : state_(std::make_shared<detail::client_state>(std::move(opts))) {}

client::client(client&&) noexcept = default;

client& client::operator=(client&& other) noexcept {
    if (this != &other) {
        if (state_) {
            state_->closed.store(true, std::memory_order_release);
            detail::drop_client(state_->id);
        }
        state_ = std::move(other.state_);
    }
    return *this;
}

client::~client() {
    if (state_) {
        state_->closed.store(true, std::memory_order_release);
        detail::drop_client(state_->id);
    }
}

task<response> client::get(std::string url, http::headers hdrs) const {
    return request("GET", std::move(url), std::move(hdrs));
}

task<response> client::request(std::string method, std::string url, http::headers hdrs,
                               std::string body) const {
    if (!state_) {
        throw invalid_state_error("weft::http::client used after it was moved from");
    }
    return detail::perform(state_, std::move(method), std::move(url), std::move(hdrs),
                           std::move(body));
}

const client::options& client::opts() const noexcept {
    static const options moved_from{};
    return state_ ? state_->opts : moved_from;
}

namespace {

task<response> get_with_default(std::string url) {
    auto st = detail::default_client();
    co_return co_await detail::perform(std::move(st), "GET", std::move(url), {}, {});
}

} // namespace

task<response> get(std::string url) {
    return get_with_default(std::move(url));
}

} // namespace weft::http
