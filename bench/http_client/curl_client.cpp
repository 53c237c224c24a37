// The floor of any libcurl-based client here: libcurl's multi interface driven by hand, no weft.
// One thread, `inflight` easy handles each re-added as soon as its transfer is done (a handle is
// reused, so is its pooled connection), same GET of the same URL. Two drivers:
//   socket  the multi-socket API on a plain epoll set (what weft does on its loops): libcurl's
//           socket callback adds, changes or removes descriptors, its timer callback sets the
//           epoll_wait timeout, events go to curl_multi_socket_action one socket at a time.
//   poll    curl_multi_perform + curl_multi_poll, libcurl's own loop (it polls every socket of
//           every transfer each round).
// FEATURES (comma-separated, default none) turns on, one by one, what weft::http::client asks of
// libcurl beyond the bare GET, to measure what each costs:
//   headers  a header callback that stores each field as two strings (weft's response headers)
//   gzip     CURLOPT_ACCEPT_ENCODING "" (Accept-Encoding with every coding libcurl decodes)
//   gzip-list  CURLOPT_ACCEPT_ENCODING "deflate, gzip, br, zstd" (the same list, given)
//   gzip-header  CURLOPT_ACCEPT_ENCODING "", and the same Accept-Encoding as a custom header
//            (libcurl then sends only that one, which it need not format per request)
//   headers-api  the same fields read with curl_easy_nextheader once the transfer is done
//   curlu    the URL given parsed (CURLOPT_CURLU) instead of as a string
//   follow   CURLOPT_FOLLOWLOCATION, CURLOPT_MAXREDIRS 10
//   smallbuf, bigbuf  CURLOPT_BUFFERSIZE 4 KiB, 256 KiB (libcurl's default: 16 KiB)
//   limits   CURLOPT_CONNECTTIMEOUT_MS, CURLOPT_PROTOCOLS_STR, CURLOPT_REDIR_PROTOCOLS_STR,
//            CURLOPT_ERRORBUFFER, CURLOPT_HTTP_VERSION 1.1
//   info     the curl_easy_getinfo calls weft makes per response (status, URL, version, timings)
// Prints one line ("-features" follows the driver when FEATURES are given):
//   curl-<driver> <requests> <seconds> <req/s> <CPU us per request>
// Usage: weft-bench-http-client-curl URL [requests=10000] [inflight=64] [socket|poll|nested]
//        [FEATURES]
// (nested: the socket driver, its epoll set itself waited on through a second one, as weft's sits
// in its loop's.)

#include "cpu_time.hpp"

#include <curl/curl.h>
#include <curl/header.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/epoll.h>
#include <unistd.h>

namespace {

using weft_bench::cpu_seconds;

struct slot {
    CURL* easy = nullptr;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    char errbuf[CURL_ERROR_SIZE] = {};
};

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* userp) {
    auto* sl = static_cast<slot*>(userp);
    const std::size_t len = size * n;
    std::string_view line(data, len);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
        line.remove_suffix(1);
    }
    if (line.starts_with("HTTP/")) {
        sl->headers.clear();
        return len;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        return len;
    }
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') {
        value.remove_prefix(1);
    }
    sl->headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    return len;
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* userp) {
    static_cast<slot*>(userp)->body.append(data, size * n);
    return size * n;
}

struct bench {
    CURLM* multi = nullptr;
    int epfd = -1;
    bool timer_set = false; ///< libcurl's timer callback asked for a timeout at deadline
    std::chrono::steady_clock::time_point deadline;
    long left = 0; ///< requests not yet started
    long done = 0;
    long failed = 0;

    int on_socket(curl_socket_t s, int what, void* socketp) {
        if (what == CURL_POLL_REMOVE) {
            ::epoll_ctl(epfd, EPOLL_CTL_DEL, s, nullptr);
            return 0;
        }
        epoll_event ev{};
        ev.events = ((what & CURL_POLL_IN) != 0 ? EPOLLIN : 0u) |
                    ((what & CURL_POLL_OUT) != 0 ? EPOLLOUT : 0u);
        ev.data.fd = s;
        if (socketp == nullptr) {
            ::epoll_ctl(epfd, EPOLL_CTL_ADD, s, &ev);
            static char marker = 0;
            curl_multi_assign(multi, s, &marker);
        } else {
            ::epoll_ctl(epfd, EPOLL_CTL_MOD, s, &ev);
        }
        return 0;
    }

    /// Takes the finished transfers out and starts the next request on each handle.
    void collect() {
        int msgs = 0;
        while (CURLMsg* m = curl_multi_info_read(multi, &msgs)) {
            if (m->msg != CURLMSG_DONE) {
                continue;
            }
            CURL* easy = m->easy_handle;
            const CURLcode code = m->data.result;
            slot* sl = nullptr;
            curl_easy_getinfo(easy, CURLINFO_PRIVATE, &sl);
            curl_multi_remove_handle(multi, easy);
            long status = 0;
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
            if (want_header_api) {
                sl->headers.clear();
                curl_header* prev = nullptr;
                while ((prev = curl_easy_nextheader(easy, CURLH_HEADER, -1, prev)) != nullptr) {
                    sl->headers.emplace_back(prev->name, prev->value);
                }
            }
            if (want_info) {
                char* eff = nullptr;
                long v = 0;
                curl_off_t t = 0;
                curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &eff);
                curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &v);
                curl_easy_getinfo(easy, CURLINFO_REDIRECT_COUNT, &v);
                curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &v);
                for (CURLINFO i : {CURLINFO_NAMELOOKUP_TIME_T, CURLINFO_CONNECT_TIME_T,
                                   CURLINFO_APPCONNECT_TIME_T, CURLINFO_STARTTRANSFER_TIME_T,
                                   CURLINFO_TOTAL_TIME_T}) {
                    curl_easy_getinfo(easy, i, &t);
                }
            }
            if (code != CURLE_OK || status != 200) {
                if (failed++ == 0) {
                    std::fprintf(stderr, "transfer failed: %s, status %ld\n",
                                 curl_easy_strerror(code), status);
                }
            }
            ++done;
            if (left > 0) {
                --left;
                sl->body.clear();
                curl_multi_add_handle(multi, easy);
            }
        }
    }

    [[nodiscard]] bool running() const noexcept { return done < target; }
    long target = 0;
    bool want_info = false;
    bool want_header_api = false;
    int outer = -1; ///< nested: an epoll set holding epfd (edge-triggered), waited on instead

    void run_socket() {
        epoll_event evs[64];
        int still = 0;
        while (running()) {
            int wait_ms = -1;
            if (timer_set) {
                const auto now = std::chrono::steady_clock::now();
                wait_ms =
                    deadline <= now
                        ? 0
                        : static_cast<int>(
                              std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count());
            }
            if (outer >= 0 && wait_ms != 0) {
                epoll_event oe{};
                ::epoll_wait(outer, &oe, 1, wait_ms); // then look in the inner set
            }
            const int n = wait_ms == 0 ? 0 : ::epoll_wait(epfd, evs, 64, outer >= 0 ? 0 : wait_ms);
            if (n == 0) {
                timer_set = false;
                curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &still);
            }
            for (int i = 0; i < n; ++i) {
                const std::uint32_t e = evs[i].events;
                int flags = 0;
                if ((e & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
                    flags |= CURL_CSELECT_IN;
                }
                if ((e & EPOLLOUT) != 0) {
                    flags |= CURL_CSELECT_OUT;
                }
                if ((e & EPOLLERR) != 0) {
                    flags |= CURL_CSELECT_ERR;
                }
                curl_multi_socket_action(multi, evs[i].data.fd, flags, &still);
            }
            collect();
        }
    }

    void run_poll() {
        int still = 0;
        while (running()) {
            curl_multi_perform(multi, &still);
            collect();
            if (running()) {
                curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
            }
        }
    }
};

int on_socket_cb(CURL* /*easy*/, curl_socket_t s, int what, void* userp, void* socketp) {
    return static_cast<bench*>(userp)->on_socket(s, what, socketp);
}

int on_timer_cb(CURLM* /*multi*/, long timeout_ms, void* userp) {
    auto* b = static_cast<bench*>(userp);
    b->timer_set = timeout_ms >= 0;
    b->deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s URL [requests] [inflight] [socket|poll]\n", argv[0]);
        return 2;
    }
    const std::string url = argv[1];
    const long requests = argc > 2 ? std::atol(argv[2]) : 10'000;
    const int inflight = argc > 3 ? std::atoi(argv[3]) : 64;
    const bool use_poll = argc > 4 && std::strcmp(argv[4], "poll") == 0;
    const bool nested = argc > 4 && std::strcmp(argv[4], "nested") == 0;
    const std::string features = argc > 5 ? std::string(",") + argv[5] + "," : std::string();
    auto want = [&](const char* f) {
        return features.find(std::string(",") + f + ",") != std::string::npos;
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    bench b;
    b.multi = curl_multi_init();
    if (!use_poll) {
        b.epfd = ::epoll_create1(EPOLL_CLOEXEC);
        curl_multi_setopt(b.multi, CURLMOPT_SOCKETFUNCTION, &on_socket_cb);
        curl_multi_setopt(b.multi, CURLMOPT_SOCKETDATA, &b);
        curl_multi_setopt(b.multi, CURLMOPT_TIMERFUNCTION, &on_timer_cb);
        curl_multi_setopt(b.multi, CURLMOPT_TIMERDATA, &b);
    }
    if (nested) {
        b.outer = ::epoll_create1(EPOLL_CLOEXEC);
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLET;
        ::epoll_ctl(b.outer, EPOLL_CTL_ADD, b.epfd, &ev);
    }
    curl_multi_setopt(b.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(inflight));

    std::vector<slot> slots(static_cast<std::size_t>(inflight));
    for (slot& s : slots) {
        s.easy = curl_easy_init();
        curl_easy_setopt(s.easy, CURLOPT_URL, url.c_str());
        curl_easy_setopt(s.easy, CURLOPT_PRIVATE, &s);
        curl_easy_setopt(s.easy, CURLOPT_WRITEFUNCTION, &on_body);
        curl_easy_setopt(s.easy, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(s.easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(s.easy, CURLOPT_PROXY, "");
        curl_easy_setopt(s.easy, CURLOPT_USERAGENT, "curl-bench");
        if (want("headers")) {
            curl_easy_setopt(s.easy, CURLOPT_HEADERFUNCTION, &on_header);
            curl_easy_setopt(s.easy, CURLOPT_HEADERDATA, &s);
        }
        if (want("gzip")) {
            curl_easy_setopt(s.easy, CURLOPT_ACCEPT_ENCODING, "");
        }
        if (want("gzip-header")) { // decoding on, the request header given as a custom one
            static curl_slist* h =
                curl_slist_append(nullptr, "Accept-Encoding: deflate, gzip, br, zstd");
            curl_easy_setopt(s.easy, CURLOPT_ACCEPT_ENCODING, "");
            curl_easy_setopt(s.easy, CURLOPT_HTTPHEADER, h);
        }
        if (want("gzip-list")) {
            curl_easy_setopt(s.easy, CURLOPT_ACCEPT_ENCODING, "deflate, gzip, br, zstd");
        }
        if (want("smallbuf")) {
            curl_easy_setopt(s.easy, CURLOPT_BUFFERSIZE, 4096L);
        }
        if (want("bigbuf")) {
            curl_easy_setopt(s.easy, CURLOPT_BUFFERSIZE, 256L * 1024);
        }
        if (want("curlu")) {
            static CURLU* u = [&] {
                CURLU* h = curl_url();
                curl_url_set(h, CURLUPART_URL, url.c_str(), 0);
                return h;
            }();
            curl_easy_setopt(s.easy, CURLOPT_CURLU, u);
        }
        if (want("follow")) {
            curl_easy_setopt(s.easy, CURLOPT_FOLLOWLOCATION, 1L);
            curl_easy_setopt(s.easy, CURLOPT_MAXREDIRS, 10L);
        }
        if (want("limits")) {
            curl_easy_setopt(s.easy, CURLOPT_CONNECTTIMEOUT_MS, 30'000L);
            curl_easy_setopt(s.easy, CURLOPT_PROTOCOLS_STR, "http,https");
            curl_easy_setopt(s.easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
            curl_easy_setopt(s.easy, CURLOPT_ERRORBUFFER, s.errbuf);
            curl_easy_setopt(s.easy, CURLOPT_HTTP_VERSION,
                             static_cast<long>(CURL_HTTP_VERSION_1_1));
        }
    }
    b.want_info = want("info");
    b.want_header_api = want("headers-api");
    auto run = [&](long n) {
        b.left = n;
        b.done = 0;
        b.target = n;
        for (std::size_t i = 0; i < slots.size() && b.left > 0; ++i, --b.left) {
            slots[i].body.clear();
            curl_multi_add_handle(b.multi, slots[i].easy);
        }
        if (use_poll) {
            b.run_poll();
        } else {
            b.run_socket();
        }
    };
    run(inflight * 2L); // warm-up: open the connections
    const long warm_failed = b.failed;
    const double cpu0 = cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    run(requests);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu_us = (cpu_seconds() - cpu0) * 1e6 / static_cast<double>(requests);
    const std::string name = std::string(use_poll ? "curl-poll"
                                         : nested ? "curl-nested"
                                                  : "curl-socket") +
                             (features.empty() ? "" : "-features");
    std::printf("%s %ld %.3f %.0f %.1f\n", name.c_str(), b.done, secs,
                static_cast<double>(b.done) / secs, cpu_us);
    for (slot& s : slots) {
        curl_easy_cleanup(s.easy);
    }
    curl_multi_cleanup(b.multi);
    if (b.epfd >= 0) {
        ::close(b.epfd);
    }
    curl_global_cleanup();
    return b.failed == 0 && warm_failed == 0 ? 0 : 1;
}
