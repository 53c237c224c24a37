// weft::http::client's bounds on what a server may send, against a weft::http::server on
// 127.0.0.1: the decoded body limit (a gzip "bomb" made with zlib at test time), the response head
// limit (one huge header line, many fields), and the timeout while a highly-compressed body is
// decoded, with the loop kept responsive meanwhile.

#include "nginx_server.hpp"

#include <weft/net/http/client.hpp>
#include <weft/net/http/server.hpp>
#include <weft/testing/co_test.hpp>
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

using namespace std::chrono_literals;
using weft::http::client;
using weft::http::request;
using weft::http::server_response;

namespace {

using steady = std::chrono::steady_clock;

/// A gzip deflater (zlib, gzip wrapper) fed blocks of zeros.
class gzip_zeros {
public:
    gzip_zeros() {
        if (deflateInit2(&z_, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) !=
            Z_OK) {
            throw std::runtime_error("deflateInit2 failed");
        }
    }
    gzip_zeros(const gzip_zeros&) = delete;
    gzip_zeros& operator=(const gzip_zeros&) = delete;
    ~gzip_zeros() { deflateEnd(&z_); }

    /// The compressed form of `bytes` more zeros; flush: Z_NO_FLUSH, Z_FULL_FLUSH or Z_FINISH.
    std::string feed(std::size_t bytes, int flush) {
        static const std::string zeros(std::size_t{1} << 20, '\0');
        std::string out;
        char buf[1 << 16];
        do {
            const std::size_t n = std::min(bytes, zeros.size());
            bytes -= n;
            // zlib's API takes non-const input; it does not write to it.
            z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.data()));
            z_.avail_in = static_cast<uInt>(n);
            const int mode = bytes == 0 ? flush : Z_NO_FLUSH;
            do {
                z_.next_out = reinterpret_cast<Bytef*>(buf);
                z_.avail_out = sizeof buf;
                deflate(&z_, mode);
                out.append(buf, sizeof buf - z_.avail_out);
            } while (z_.avail_out == 0);
        } while (bytes > 0);
        return out;
    }

private:
    z_stream z_{};
};

/// A complete gzip body of `bytes` zeros.
std::string gzip_bomb(std::size_t bytes) {
    gzip_zeros g;
    return g.feed(bytes, Z_FINISH);
}

/// An endless gzip stream of zeros: a head (gzip header and the first block), then a block that
/// may be repeated forever, each decoding to `block` zeros (a full flush after each makes every
/// later block byte-identical).
struct endless_gzip {
    std::string head;
    std::string repeat;
};

endless_gzip endless_zeros(std::size_t block) {
    gzip_zeros g;
    endless_gzip e;
    e.head = g.feed(block, Z_FULL_FLUSH);
    e.repeat = g.feed(block, Z_FULL_FLUSH);
    if (g.feed(block, Z_FULL_FLUSH) != e.repeat) {
        throw std::runtime_error("endless_zeros: deflate blocks differ");
    }
    return e;
}

/// n bytes of a pattern with period 251: it compresses well, and a block lost or repeated on the
/// way (libcurl hands over at most 16 KiB at a time, not a multiple of 251) shows.
std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        s[i] = static_cast<char>(i % 251);
    }
    return s;
}

/// data gzipped (zlib's gzip wrapper, default level).
std::string gzip_of(const std::string& data) {
    z_stream z{};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        throw std::runtime_error("deflateInit2 failed");
    }
    std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
    // zlib's API takes non-const input; it does not write to it.
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        throw std::runtime_error("deflate did not finish");
    }
    return out;
}

/// The pattern bodies the tests serve: larger than one loop turn's share (4 MiB).
constexpr std::size_t pattern_gz_size = std::size_t{24} << 20;
constexpr std::size_t pattern_plain_size = std::size_t{12} << 20;

std::string url_of(const weft::http::server& srv, std::string_view path) {
    return "http://127.0.0.1:" + std::to_string(srv.port()) + std::string(path);
}

server_response gzipped(std::string body) {
    server_response r(200, std::move(body), "application/octet-stream");
    r.set_header("Content-Encoding", "gzip");
    return r;
}

/// Serves /bomb (64 MiB of zeros, gzipped: about 64 KiB), /exact (1 MiB of zeros, gzipped),
/// /endless (gzipped zeros until the client goes away), /big-line (a 10 MiB header line) and
/// /many-fields (80 fields of 1 KiB).
void add_routes(weft::http::server& srv) {
    // Made once per process (static locals: thread-safe, and the tests run one at a time).
    static const auto bomb = std::make_shared<const std::string>(gzip_bomb(std::size_t{64} << 20));
    static const auto exact = std::make_shared<const std::string>(gzip_bomb(std::size_t{1} << 20));
    static const auto endless =
        std::make_shared<const endless_gzip>(endless_zeros(std::size_t{1} << 20));
    static const auto pattern_gz =
        std::make_shared<const std::string>(gzip_of(pattern(pattern_gz_size)));
    static const auto pattern_plain =
        std::make_shared<const std::string>(pattern(pattern_plain_size));
    srv.route("GET", "/pattern.gz",
              [](request&) -> weft::task<server_response> { co_return gzipped(*pattern_gz); });
    srv.route("GET", "/pattern", [](request&) -> weft::task<server_response> {
        co_return server_response::borrowed(*pattern_plain, 200, "application/octet-stream");
    });
    srv.route("GET", "/bomb",
              [bomb](request&) -> weft::task<server_response> { co_return gzipped(*bomb); });
    srv.route("GET", "/exact",
              [exact](request&) -> weft::task<server_response> { co_return gzipped(*exact); });
    srv.route("GET", "/endless", [endless](request&) -> weft::task<server_response> {
        server_response r =
            server_response::stream([endless](weft::http::body_writer& w) -> weft::task<void> {
                co_await w.write(endless->head);
                for (;;) { // until the client goes away (the write throws)
                    co_await w.write(endless->repeat);
                }
            });
        r.set_header("Content-Encoding", "gzip");
        co_return r;
    });
    srv.route("GET", "/big-line", [](request&) -> weft::task<server_response> {
        server_response r = server_response::text("small body");
        r.set_header("X-Big", std::string(std::size_t{10} << 20, 'h'));
        co_return r;
    });
    srv.route("GET", "/many-fields", [](request&) -> weft::task<server_response> {
        server_response r = server_response::text("small body");
        for (int i = 0; i < 80; ++i) {
            r.headers().add("X-Field-" + std::to_string(i), std::string(1000, 'f'));
        }
        co_return r;
    });
}

/// Runs a test body against a fresh server with the routes above.
template <class F>
weft::task<void> with_server(F body) {
    weft::http::server srv;
    add_routes(srv);
    co_await srv.listen("127.0.0.1", 0);
    co_await body(srv);
    srv.close();
    co_await srv.wait_closed();
}

} // namespace

WEFT_CO_TEST(http_client_limits, a_gzip_bomb_fails_typed_once_its_decoded_size_crosses_the_limit) {
    co_await with_server([](weft::http::server& srv) -> weft::task<void> {
        client c(weft::http::client_options{.timeout = 30s, .max_response_bytes = 1 << 20});
        const std::string url = url_of(srv, "/bomb");
        bool thrown = false;
        try {
            (void)co_await c.get(url);
        } catch (const weft::http::response_too_large& e) {
            thrown = true;
            EXPECT_EQ(e.limit(), std::size_t{1} << 20);
            EXPECT_EQ(e.url(), url);
            EXPECT_NE(std::string(e.what()).find("max_response_bytes (1048576 bytes"),
                      std::string::npos)
                << e.what();
        }
        EXPECT_TRUE(thrown) << "a 64 MiB body was accepted with max_response_bytes 1 MiB";
        // The client works on: the aborted connection was not pooled.
        const weft::http::response ok = co_await c.get(url_of(srv, "/exact"));
        EXPECT_EQ(ok.body.size(), std::size_t{1} << 20);
    });
}

WEFT_CO_TEST(http_client_limits, a_body_exactly_at_the_limit_is_accepted_one_byte_more_is_not) {
    co_await with_server([](weft::http::server& srv) -> weft::task<void> {
        constexpr std::size_t mib = std::size_t{1} << 20;
        client at(weft::http::client_options{.max_response_bytes = mib});
        const weft::http::response r = co_await at.get(url_of(srv, "/exact"));
        EXPECT_EQ(r.body, std::string(mib, '\0'));
        client under(weft::http::client_options{.max_response_bytes = mib - 1});
        EXPECT_THROW((void)co_await under.get(url_of(srv, "/exact")),
                     weft::http::response_too_large);
        client unlimited(weft::http::client_options{.max_response_bytes = 0}); // 0: none
        const weft::http::response big = co_await unlimited.get(url_of(srv, "/exact"));
        EXPECT_EQ(big.body.size(), mib);
    });
}

// keep_body = false (weft fetch): bodies are counted as they arrive and dropped, so a client that
// measures holds no body memory; the decoded-size limit still applies to what was counted.
WEFT_CO_TEST(http_client_limits, a_client_that_drops_bodies_counts_them_and_keeps_the_limit) {
    co_await with_server([](weft::http::server& srv) -> weft::task<void> {
        constexpr std::size_t mib = std::size_t{1} << 20;
        client counting(weft::http::client_options{.keep_body = false});
        const weft::http::response r = co_await counting.get(url_of(srv, "/exact"));
        EXPECT_EQ(r.status, 200);
        EXPECT_TRUE(r.body.empty());
        EXPECT_EQ(r.body_bytes, mib);
        client limited(weft::http::client_options{.max_response_bytes = mib, .keep_body = false});
        EXPECT_THROW((void)co_await limited.get(url_of(srv, "/bomb")),
                     weft::http::response_too_large);
        // A client that keeps bodies reports the same count.
        const weft::http::response kept = co_await client().get(url_of(srv, "/exact"));
        EXPECT_EQ(kept.body_bytes, kept.body.size());
    });
}

// Bodies of several turns' worth pause and resume, each transfer in turn (the share is per loop):
// every byte arrives once, in order, whether decoded or not.
WEFT_CO_TEST(http_client_limits, bodies_larger_than_a_turn_arrive_intact_through_pauses) {
    co_await with_server([](weft::http::server& srv) -> weft::task<void> {
        client c;
        auto [gz, plain, gz2] =
            co_await weft::gather(c.get(url_of(srv, "/pattern.gz")), c.get(url_of(srv, "/pattern")),
                                  c.get(url_of(srv, "/pattern.gz")));
        EXPECT_EQ(gz.headers.get_or("content-encoding", ""), "gzip");
        EXPECT_EQ(gz.body.size(), pattern_gz_size);
        EXPECT_TRUE(gz.body == pattern(pattern_gz_size));
        EXPECT_TRUE(gz2.body == gz.body);
        EXPECT_EQ(plain.body.size(), pattern_plain_size);
        EXPECT_TRUE(plain.body == pattern(pattern_plain_size));
    });
}

// The same over HTTP/2 (nginx, TLS): three streams of one connection pause and resume in turn.
TEST(http_client_limits, http2_streams_larger_than_a_turn_arrive_intact_through_pauses) {
    weft::testing::nginx_server* s = weft::testing::nginx_server::get();
    if (s == nullptr) {
        GTEST_SKIP() << weft::testing::nginx_server::reason();
    }
    weft::testing::write_file(s->dir() + "/html/pattern.bin", pattern(pattern_gz_size));
    weft::testing::run_test([s]() -> weft::task<void> {
        // A stalled stream fails by the timeout instead of hanging the test.
        client c(weft::http::client_options{.timeout = 60s, .ca_file = s->cert_file()});
        const std::string url = s->tls_url("/pattern.bin");
        auto [a, b, d] = co_await weft::gather(c.get(url), c.get(url), c.get(url));
        EXPECT_EQ(a.version, weft::http::http_version::http2);
        EXPECT_EQ(a.body.size(), pattern_gz_size);
        EXPECT_TRUE(a.body == pattern(pattern_gz_size));
        EXPECT_TRUE(b.body == a.body);
        EXPECT_TRUE(d.body == a.body);
    }());
}

WEFT_CO_TEST(http_client_limits, the_default_limit_is_256_mib) {
    EXPECT_EQ(weft::http::client_options{}.max_response_bytes, std::size_t{256} << 20);
    EXPECT_EQ(weft::http::client_options{}.max_header_bytes, std::size_t{64} << 10);
    co_return;
}

// An endless gzip stream decodes far faster than it arrives: the timeout must still end the
// request (libcurl decodes on the loop's thread, inside its socket handling), and the loop must
// keep running other tasks meanwhile.
WEFT_CO_TEST(http_client_limits, the_timeout_holds_and_the_loop_runs_while_a_body_is_decoded) {
    co_await with_server([](weft::http::server& srv) -> weft::task<void> {
        constexpr auto timeout = 500ms;
        client c(weft::http::client_options{.timeout = timeout, .max_response_bytes = 0});
        steady::duration longest_gap{0};
        bool stop = false;
        auto ticker = [&]() -> weft::task<void> {
            auto last = steady::now();
            while (!stop) {
                co_await weft::sleep(5ms);
                const auto now = steady::now();
                longest_gap = std::max(longest_gap, now - last);
                last = now;
            }
        };
        weft::future<void> ticking = weft::create_task(ticker());
        const auto start = steady::now();
        bool timed_out = false;
        try {
            (void)co_await c.get(url_of(srv, "/endless"));
        } catch (const weft::http::timeout_error&) {
            timed_out = true;
        }
        const auto took = steady::now() - start;
        stop = true;
        co_await ticking;
        EXPECT_TRUE(timed_out);
        // Generous bounds (sanitizers, a loaded machine, slow page faults): the point is about the
        // timeout versus many seconds (libcurl decoded 1.6 GB per socket event without pausing).
        EXPECT_LT(took, timeout + 2s);
        EXPECT_LT(longest_gap, 1500ms) << "the loop was held while the body was decoded";
    });
}

WEFT_CO_TEST(http_client_limits, one_huge_header_line_is_a_typed_error) {
    co_await with_server([](weft::http::server& srv) -> weft::task<void> {
        // Whatever max_header_bytes says, libcurl's own line limit (100 KiB) stops a 10 MiB line.
        for (std::size_t limit : {std::size_t{64} << 10, std::size_t{0}}) {
            client c(weft::http::client_options{.max_header_bytes = limit});
            const std::string url = url_of(srv, "/big-line");
            bool thrown = false;
            try {
                (void)co_await c.get(url);
            } catch (const weft::http::headers_too_large& e) {
                thrown = true;
                EXPECT_EQ(e.url(), url);
                EXPECT_GT(e.limit(), 0u);
                EXPECT_NE(std::string(e.what()).find("head"), std::string::npos) << e.what();
            }
            EXPECT_TRUE(thrown) << "max_header_bytes " << limit;
        }
    });
}

WEFT_CO_TEST(http_client_limits, heads_over_max_header_bytes_are_a_typed_error) {
    co_await with_server([](weft::http::server& srv) -> weft::task<void> {
        client def; // 64 KiB: 80 fields of 1 KiB are too many
        bool thrown = false;
        try {
            (void)co_await def.get(url_of(srv, "/many-fields"));
        } catch (const weft::http::headers_too_large& e) {
            thrown = true;
            EXPECT_EQ(e.limit(), std::size_t{64} << 10);
            EXPECT_NE(std::string(e.what()).find("max_header_bytes (65536 bytes)"),
                      std::string::npos)
                << e.what();
        }
        EXPECT_TRUE(thrown);
        client roomy(weft::http::client_options{.max_header_bytes = 128 << 10});
        const weft::http::response r = co_await roomy.get(url_of(srv, "/many-fields"));
        EXPECT_EQ(r.body, "small body");
        EXPECT_EQ(r.headers.get_or("x-field-79", ""), std::string(1000, 'f'));
    });
}
