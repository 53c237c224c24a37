// The HTTP server's router (router.hpp): routes by method and path pattern, with {name} segments
// captured as path parameters and a last {name...} segment capturing the rest of the path; a path
// that matches no route gives 404, a route without the method 405 with the methods that have one.
#include "router.hpp"

#include <weft/runtime/error.hpp>

#include <algorithm>

namespace weft::http::detail {

namespace {

// Calls f(segment) for each '/'-separated segment after the leading '/'; stops when f returns
// false and returns false then.
template <class F>
bool for_each_segment(std::string_view path, F&& f) {
    if (!path.empty() && path.front() == '/') {
        path.remove_prefix(1);
    }
    for (;;) {
        const auto slash = path.find('/');
        if (!f(path.substr(0, slash))) {
            return false;
        }
        if (slash == std::string_view::npos) {
            return true;
        }
        path.remove_prefix(slash + 1);
    }
}

} // namespace

void router::add(std::string_view method, std::string_view pattern, handler h) {
    if (method.empty()) {
        throw weft::error("weft::http::server::route: empty method");
    }
    if (pattern.empty() || pattern.front() != '/') {
        throw weft::error("weft::http::server::route: pattern \"" + std::string(pattern) +
                          "\" must start with '/'");
    }
    if (!h) {
        throw weft::error("weft::http::server::route: empty handler for \"" + std::string(pattern) +
                          "\"");
    }
    route r{std::string(method), {}, std::move(h), std::string(pattern)};
    for_each_segment(pattern, [&](std::string_view seg) {
        if (!r.segments.empty() && r.segments.back().tail) {
            throw weft::error("weft::http::server::route: a {name...} segment must be the last "
                              "in \"" +
                              std::string(pattern) + "\"");
        }
        if (!seg.empty() && seg.front() == '{') {
            if (seg.size() < 3 || seg.back() != '}' ||
                seg.substr(1, seg.size() - 2).find_first_of("{}/") != std::string_view::npos) {
                throw weft::error("weft::http::server::route: malformed parameter \"" +
                                  std::string(seg) + "\" in \"" + std::string(pattern) + "\"");
            }
            std::string_view name = seg.substr(1, seg.size() - 2);
            const bool tail = name.size() > 3 && name.ends_with("...");
            if (tail) {
                name.remove_suffix(3);
            }
            r.segments.push_back({std::string(name), true, tail});
            r.has_params = true;
        } else {
            if (seg.find_first_of("{}") != std::string_view::npos) {
                throw weft::error("weft::http::server::route: a parameter must be a whole segment "
                                  "in \"" +
                                  std::string(pattern) + "\"");
            }
            r.segments.push_back({std::string(seg), false});
        }
        return true;
    });
    routes_.push_back(std::move(r));
}

bool router::matches(const route& r, std::string_view path,
                     std::vector<std::pair<std::string, std::string>>* params) const {
    if (!r.has_params && !path.empty() && path.front() == '/') {
        return path == r.pattern; // the same segments, joined the same way
    }
    std::size_t i = 0;
    bool tail = false; // a {name...} segment took the rest of the path
    const bool all = for_each_segment(path, [&](std::string_view seg) {
        if (i >= r.segments.size()) {
            return false;
        }
        const segment& s = r.segments[i++];
        if (s.tail) {
            // The rest of the path, from this segment on (seg points into path).
            const std::string_view rest(
                seg.data(), static_cast<std::size_t>(path.data() + path.size() - seg.data()));
            if (params != nullptr) {
                params->emplace_back(s.text, percent_decode(rest));
            }
            tail = true;
            return false;
        }
        if (s.param) {
            if (seg.empty()) {
                return false;
            }
            if (params != nullptr) {
                params->emplace_back(s.text, percent_decode(seg));
            }
            return true;
        }
        return seg == s.text;
    });
    return tail || (all && i == r.segments.size());
}

router::match router::find(std::string_view method, std::string_view path,
                           std::vector<std::pair<std::string, std::string>>& params) const {
    match m;
    const route* fallback = nullptr; // a GET route for a HEAD request
    for (const route& r : routes_) {
        const bool same = r.method == method;
        const bool head_get = method == "HEAD" && r.method == "GET";
        if (!same && !(head_get && fallback == nullptr)) {
            continue;
        }
        if (!matches(r, path, nullptr)) {
            continue;
        }
        if (same) {
            fallback = &r;
            break;
        }
        fallback = &r; // keep looking for an explicit HEAD route
    }
    if (fallback != nullptr) {
        params.clear();
        if (fallback->has_params) {
            matches(*fallback, path, &params);
        }
        m.found = &fallback->h;
        m.pattern = fallback->pattern;
        return m;
    }
    // No route for this method: 405 when the path answers others.
    std::vector<std::string_view> allowed;
    for (const route& r : routes_) {
        if (matches(r, path, nullptr) &&
            std::find(allowed.begin(), allowed.end(), r.method) == allowed.end()) {
            allowed.push_back(r.method);
            if (r.method == "GET" &&
                std::find(allowed.begin(), allowed.end(), "HEAD") == allowed.end()) {
                allowed.push_back("HEAD");
            }
        }
    }
    for (std::string_view a : allowed) {
        if (!m.allow.empty()) {
            m.allow += ", ";
        }
        m.allow += a;
    }
    return m;
}

} // namespace weft::http::detail
