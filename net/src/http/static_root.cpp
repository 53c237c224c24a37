// Opening a path beneath a served directory (static_root.hpp).

#include "static_root.hpp"

#include <weft/runtime/error.hpp>

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <memory>

namespace weft::http::detail {

namespace {

constexpr int open_flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;

} // namespace

static_root::static_root(const std::string& dir) {
    fd_ = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd_ < 0) {
        throw weft::error("weft::http::server::static_files: cannot open directory \"" + dir +
                          "\"");
    }
    const std::unique_ptr<char, decltype(&std::free)> real(::realpath(dir.c_str(), nullptr),
                                                           &std::free);
    if (!real) {
        ::close(fd_);
        throw weft::error("weft::http::server::static_files: cannot resolve \"" + dir + "\"");
    }
    real_ = real.get();
}

static_root::~static_root() {
    ::close(fd_);
}

int static_root::open(std::string_view rel_view, bool follow_symlinks, bool use_openat2) const {
    const std::string rel = rel_view.empty() ? std::string(".") : std::string(rel_view);
#ifdef SYS_openat2
    if (use_openat2) {
        open_how how{};
        how.flags = open_flags;
        how.resolve =
            RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | (follow_symlinks ? 0 : RESOLVE_NO_SYMLINKS);
        long fd = -1;
        do {
            fd = ::syscall(SYS_openat2, fd_, rel.c_str(), &how, sizeof how);
        } while (fd < 0 && errno == EINTR);
        if (fd >= 0 || (errno != ENOSYS && errno != EPERM)) {
            return static_cast<int>(fd);
        }
    }
#endif
    return open_fallback(rel, follow_symlinks);
}

int static_root::open_fallback(const std::string& rel, bool follow_symlinks) const {
    if (follow_symlinks) {
        const std::string full = real_ + "/" + rel;
        const std::unique_ptr<char, decltype(&std::free)> real(::realpath(full.c_str(), nullptr),
                                                               &std::free);
        if (!real) {
            return -1;
        }
        const std::string_view r = real.get();
        const bool inside = r == real_ || (r.starts_with(real_) && r.size() > real_.size() &&
                                           (real_ == "/" || r[real_.size()] == '/'));
        return inside ? ::open(real.get(), open_flags | O_NOFOLLOW) : -1;
    }
    // One component at a time, none of them a link.
    int dir = ::dup(fd_);
    std::string_view rest = rel;
    while (dir >= 0) {
        const auto slash = rest.find('/');
        const std::string name(rest.substr(0, slash));
        const bool last = slash == std::string_view::npos;
        const int next = ::openat(dir, name.c_str(),
                                  last ? open_flags | O_NOFOLLOW
                                       : O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        ::close(dir);
        if (last) {
            return next;
        }
        dir = next;
        rest.remove_prefix(slash + 1);
    }
    return -1;
}

} // namespace weft::http::detail
