#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace weft::net {

/// Where a socket is: an IPv4 or IPv6 address and a port, or a Unix-domain socket path.
class endpoint {
public:
    /// The address family.
    enum class family : std::uint8_t { none, ipv4, ipv6, unix_socket };

    /// An empty endpoint (family::none), for sockets that are not connected.
    endpoint() = default;

    /// An IP endpoint from a numeric address ("127.0.0.1", "::1") and a port.
    /// @throws weft::net::error when address is not a numeric IPv4 or IPv6 address.
    endpoint(std::string_view address, std::uint16_t port);

    /// A Unix-domain socket endpoint.
    [[nodiscard]] static endpoint unix_path(std::string path);

    /// The address family.
    [[nodiscard]] family kind() const noexcept { return family_; }
    /// The numeric address without brackets ("127.0.0.1", "::1"); empty for Unix sockets.
    [[nodiscard]] const std::string& address() const noexcept { return address_; }
    /// The port (0 for Unix sockets).
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    /// The socket path of a Unix-domain endpoint, else empty.
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

    /// "127.0.0.1:8080", "[::1]:80", "unix:/tmp/x.sock", "(none)".
    [[nodiscard]] std::string to_string() const;

    friend bool operator==(const endpoint&, const endpoint&) = default;

private:
    family family_ = family::none;
    std::uint16_t port_ = 0;
    std::string address_;
    std::string path_;
};

} // namespace weft::net
