#pragma once

// Where a Redis broker is and how to log in, read from the URL forms redis_pool accepts
// (redis://[user:password@]host[:port][/db], unix:///path[?db=N]). Private to the redis pool.

#include <string>
#include <string_view>

namespace weft::detail::rp {

struct redis_address {
    bool unix_socket = false;
    std::string host; ///< name or address (IPv6 without brackets); empty for a Unix socket
    int port = 6379;
    std::string path; ///< the Unix socket's path
    int db = 0;
    std::string user;     ///< empty: "default" (or no ACL user)
    std::string password; ///< empty: no AUTH
    /// "host:port" or the socket path, for messages (never the credentials).
    [[nodiscard]] std::string where() const;
};

/// Reads url; explicit user/password (when not empty) win over the URL's.
/// @throws std::invalid_argument naming what is wrong (the password is never repeated).
redis_address parse_redis_url(std::string_view url, const std::string& user,
                              const std::string& password);

} // namespace weft::detail::rp
