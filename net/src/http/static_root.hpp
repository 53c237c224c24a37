#pragma once

// A directory that files are served from (static_root.cpp), and how a relative path is opened
// without leaving it: openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS (and
// RESOLVE_NO_SYMLINKS when links are not followed), so that the kernel refuses every way out,
// symbolic links and races included. Where the kernel has no openat2 (before Linux 5.6, or a
// seccomp filter that refuses it), a fallback: without links, a walk of the path one component at
// a time with O_NOFOLLOW; with links, realpath(3) and a check that the result is inside the
// root's own real path (a link swapped between the check and the open can still escape: the
// kernel's way has no such window).
//
// Not hidden, unlike the rest of the server's private code: the tests call open() with the
// fallback forced.

#include <string>
#include <string_view>

namespace weft::http::detail {

class static_root {
public:
    /// Opens dir as the root. @throws weft::error when it is not a directory that can be opened.
    explicit static_root(const std::string& dir);
    static_root(const static_root&) = delete;
    static_root& operator=(const static_root&) = delete;
    ~static_root();

    /// Opens rel (components checked by the caller: none empty, ".", ".."; "" is the root itself)
    /// for reading, O_NONBLOCK (a fifo does not block the open) and O_CLOEXEC, if it stays inside
    /// the root; -1 otherwise, or when it does not exist or cannot be read.
    [[nodiscard]] int open(std::string_view rel, bool follow_symlinks,
                           bool use_openat2 = true) const;

private:
    int open_fallback(const std::string& rel, bool follow_symlinks) const;

    int fd_ = -1;      // O_PATH | O_DIRECTORY
    std::string real_; // the root's real path (the fallback's prefix check)
};

} // namespace weft::http::detail
