// weft::http::client's bounds on what a server may send, against a weft::http::server on
// 127.0.0.1: the decoded body limit (a gzip "bomb" made with zlib at test time), the response head
// limit (one huge header line, many fields), and the timeout while a highly-compressed body is
// decoded, with the loop kept responsive meanwhile.

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
