#pragma once

/// Whether the machine's loopback interfaces are usable, for tests that skip what the machine
/// cannot do (a container without IPv6, for one).

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace weft::testing {

/// Whether a socket can bind to ::1.
inline bool ipv6_loopback_available() {
    const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0) {
        return false;
    }
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

} // namespace weft::testing
