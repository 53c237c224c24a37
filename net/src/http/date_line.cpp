// The IMF-fixdate form of a time, and the cached Date line (date_line.hpp), formatted once a
// second.

#include "date_line.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace weft::http::detail {

std::string_view format_http_date(std::time_t t, char (&out)[32]) noexcept {
    std::tm tm{};
    gmtime_r(&t, &tm);
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const int n =
        std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7],
                      tm.tm_mday % 100, months[tm.tm_mon % 12], (tm.tm_year + 1900) % 10000,
                      tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100);
    return {out, n > 0 ? std::min<std::size_t>(static_cast<std::size_t>(n), sizeof out - 1) : 0};
}

void date_line::format(std::time_t t) noexcept {
    second_ = t;
    char date[32];
    const std::string_view d = format_http_date(t, date);
    std::memcpy(text_, "Date: ", 6);
    std::memcpy(text_ + 6, d.data(), std::min<std::size_t>(d.size(), size - 8));
    std::memcpy(text_ + size - 2, "\r\n", 2);
}

} // namespace weft::http::detail
