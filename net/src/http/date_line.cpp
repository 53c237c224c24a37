// Formats the cached Date line (date_line.hpp) in the IMF-fixdate form, once a second.

#include "date_line.hpp"

#include <cstdio>
#include <cstring>
#include <ctime>

namespace weft::http::detail {

void date_line::format(std::time_t t) noexcept {
    second_ = t;
    std::tm tm{};
    gmtime_r(&t, &tm);
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char buf[64];
    std::snprintf(buf, sizeof buf, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
                  days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
                  (tm.tm_year + 1900) % 10000, tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100);
    std::memcpy(text_, buf, size);
}

} // namespace weft::http::detail
