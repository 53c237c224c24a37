#pragma once

// The IMF-fixdate form of a time (Date, Last-Modified), and the response's Date field, cached:
// "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n" (RFC 9110 section 5.6.7), formatted again only when the
// second changes. Each session keeps one, so it needs no lock. The clock is the coarse real-time
// one: a vDSO read without a time-stamp counter.

#include <cstddef>
#include <ctime>
#include <string_view>

// Private to libweft: hidden from its exported symbols, so that calls to it are direct (no PLT)
// and may be inlined.
#pragma GCC visibility push(hidden)

namespace weft::http::detail {

/// t in the IMF-fixdate form, "Sun, 06 Nov 1994 08:49:37 GMT" (29 bytes), written to out;
/// returns out's first 29 bytes as a view.
std::string_view format_http_date(std::time_t t, char (&out)[32]) noexcept;

class date_line {
public:
    static constexpr std::size_t size = 37;

    /// The whole line, CRLF included, for the current second.
    std::string_view get() noexcept {
        timespec ts{};
        ::clock_gettime(CLOCK_REALTIME_COARSE, &ts);
        if (ts.tv_sec != second_) {
            format(ts.tv_sec);
        }
        return {text_, size};
    }

private:
    void format(std::time_t t) noexcept;

    std::time_t second_ = -1;
    char text_[size] = {};
};

} // namespace weft::http::detail

#pragma GCC visibility pop
