// weft::net::endpoint (address.hpp): parsing a numeric IPv4/IPv6 address or a Unix socket path and
// formatting one; and the conversions to and from sockaddr that the TCP sources share
// (connection_impl.hpp).
#include "connection_impl.hpp"

#include <weft/net/address.hpp>
#include <weft/net/error.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>

namespace weft::net {

endpoint::endpoint(std::string_view address, std::uint16_t port) : port_(port) {
    std::string a(address);
    if (a.size() >= 2 && a.front() == '[' && a.back() == ']') {
        a = a.substr(1, a.size() - 2);
    }
    in_addr v4{};
    in6_addr v6{};
    if (::inet_pton(AF_INET, a.c_str(), &v4) == 1) {
        family_ = family::ipv4;
    } else if (::inet_pton(AF_INET6, a.c_str(), &v6) == 1) {
        family_ = family::ipv6;
    } else {
        throw error("not a numeric IPv4 or IPv6 address: '" + a + "'");
    }
    address_ = std::move(a);
}

endpoint endpoint::unix_path(std::string path) {
    endpoint e;
    e.family_ = family::unix_socket;
    e.path_ = std::move(path);
    return e;
}

std::string endpoint::to_string() const {
    switch (family_) {
    case family::ipv4:
        return address_ + ":" + std::to_string(port_);
    case family::ipv6:
        return "[" + address_ + "]:" + std::to_string(port_);
    case family::unix_socket:
        return "unix:" + path_;
    case family::none:
        break;
    }
    return "(none)";
}

namespace detail {

endpoint to_endpoint(const sockaddr* sa, socklen_t len) {
    char text[INET6_ADDRSTRLEN] = {};
    if (sa == nullptr || len < static_cast<socklen_t>(sizeof(sa_family_t))) {
        return {};
    }
    switch (sa->sa_family) {
    case AF_INET: {
        const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
        ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
        return endpoint(text, ntohs(in->sin_port));
    }
    case AF_INET6: {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
        ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
        return endpoint(text, ntohs(in6->sin6_port));
    }
    case AF_UNIX: {
        const auto* un = reinterpret_cast<const sockaddr_un*>(sa);
        const std::size_t max =
            len > offsetof(sockaddr_un, sun_path)
                ? static_cast<std::size_t>(len) - offsetof(sockaddr_un, sun_path)
                : 0;
        return endpoint::unix_path(std::string(un->sun_path, ::strnlen(un->sun_path, max)));
    }
    default:
        return {};
    }
}

socklen_t to_sockaddr(const endpoint& ep, sockaddr_storage& ss) {
    std::memset(&ss, 0, sizeof ss);
    switch (ep.kind()) {
    case endpoint::family::ipv4: {
        auto* in = reinterpret_cast<sockaddr_in*>(&ss);
        in->sin_family = AF_INET;
        in->sin_port = htons(ep.port());
        ::inet_pton(AF_INET, ep.address().c_str(), &in->sin_addr);
        return sizeof(sockaddr_in);
    }
    case endpoint::family::ipv6: {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(ep.port());
        ::inet_pton(AF_INET6, ep.address().c_str(), &in6->sin6_addr);
        return sizeof(sockaddr_in6);
    }
    case endpoint::family::unix_socket: {
        auto* un = reinterpret_cast<sockaddr_un*>(&ss);
        if (ep.path().empty() || ep.path().size() >= sizeof un->sun_path) {
            throw error("Unix socket path is empty or longer than " +
                        std::to_string(sizeof un->sun_path - 1) + " bytes: '" + ep.path() + "'");
        }
        un->sun_family = AF_UNIX;
        std::memcpy(un->sun_path, ep.path().data(), ep.path().size());
        return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + ep.path().size() + 1);
    }
    case endpoint::family::none:
        break;
    }
    throw error("no address to connect or bind to");
}

} // namespace detail

} // namespace weft::net
