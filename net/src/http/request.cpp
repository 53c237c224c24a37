// weft::http::request's query and path-parameter accessors: percent-decoding and splitting the
// query string on demand, so that a handler that never reads them pays nothing.
#include "parser_text.hpp"

#include <weft/net/http/request.hpp>

namespace weft::http {

namespace {

// Calls f(name, value) for each '&'-separated pair of the query, raw.
template <class F>
void for_each_pair(std::string_view q, F&& f) {
    while (!q.empty()) {
        const auto amp = q.find('&');
        const std::string_view pair = q.substr(0, amp);
        if (!pair.empty()) {
            const auto eq = pair.find('=');
            if (eq == std::string_view::npos) {
                if (!f(pair, std::string_view{})) {
                    return;
                }
            } else if (!f(pair.substr(0, eq), pair.substr(eq + 1))) {
                return;
            }
        }
        if (amp == std::string_view::npos) {
            return;
        }
        q.remove_prefix(amp + 1);
    }
}

} // namespace

std::string percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '%' && i + 2 < s.size()) {
            const int hi = detail::hex_value(static_cast<unsigned char>(s[i + 1]));
            const int lo = detail::hex_value(static_cast<unsigned char>(s[i + 2]));
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(plus_is_space && c == '+' ? ' ' : c);
    }
    return out;
}

std::optional<std::string> request::query_param(std::string_view name) const {
    std::optional<std::string> found;
    for_each_pair(query_, [&](std::string_view k, std::string_view v) {
        if (percent_decode(k, true) == name) {
            found = percent_decode(v, true);
            return false;
        }
        return true;
    });
    return found;
}

std::vector<std::pair<std::string, std::string>> request::query_params() const {
    std::vector<std::pair<std::string, std::string>> out;
    for_each_pair(query_, [&](std::string_view k, std::string_view v) {
        out.emplace_back(percent_decode(k, true), percent_decode(v, true));
        return true;
    });
    return out;
}

std::string_view request::param(std::string_view name) const noexcept {
    for (const auto& [k, v] : params_) {
        if (k == name) {
            return v;
        }
    }
    return {};
}

} // namespace weft::http
