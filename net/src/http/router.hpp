#pragma once

// The server's router: routes of literal segments and {name} parameters, and a last {name...}
// segment that takes the rest of the path, matched in the order they were added. Read-only once the
// server listens, so every loop may match concurrently.

#include <weft/net/http/server.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::http::detail {

class router {
public:
    /// @throws weft::error for a malformed pattern.
    void add(std::string_view method, std::string_view pattern, handler h);

    /// What a lookup found.
    struct match {
        const handler* found = nullptr; ///< null: see allow
        std::string allow;              ///< for 405: the methods the path answers ("GET, HEAD")
        std::string_view pattern;       ///< the found route's pattern, as given
    };

    /// Finds the handler for method and path (percent-encoded), filling params (decoded). HEAD
    /// falls back to GET.
    [[nodiscard]] match find(std::string_view method, std::string_view path,
                             std::vector<std::pair<std::string, std::string>>& params) const;

    [[nodiscard]] bool empty() const noexcept { return routes_.empty(); }

private:
    struct segment {
        std::string text; // literal text, or the parameter's name
        bool param = false;
        bool tail = false; // {name...}: the rest of the path, slashes included (may be empty)
    };
    struct route {
        std::string method;
        std::vector<segment> segments;
        handler h;
        std::string pattern; // as given
        bool has_params = false;
    };

    bool matches(const route& r, std::string_view path,
                 std::vector<std::pair<std::string, std::string>>* params) const;

    std::vector<route> routes_;
};

} // namespace weft::http::detail
