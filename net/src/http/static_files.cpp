// Files served from a directory (static_files.hpp): server::static_files() mounts a directory
// under a path prefix as a GET route with a tail segment ("/assets/{path...}"), and serve_file()
// answers with one file. What the answer holds (validators, 304, ranges) is file_answer.cpp's;
// how a path is opened without leaving the root is static_root.cpp's.
//
// A request's path is checked segment by segment as the client sent it (still percent-encoded),
// so that no decoding can make a segment mean something else: an empty segment, "." or ".."
// (raw or encoded), a decoded '/', '\' or NUL (%2F, %5C, %00), and a name starting with '.'
// unless serve_hidden is on, are 404. A directory is answered with its index file, or 404 (no
// listing); a fifo, device or socket is 404 (opened O_NONBLOCK, so that a fifo cannot block the
// loop).

#include "file_answer.hpp"
#include "server_impl.hpp"
#include "static_root.hpp"

#include <weft/net/http/server.hpp>
#include <weft/net/http/static_files.hpp>
#include <weft/runtime/error.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace weft::http {

namespace detail {

namespace {

// A directory mounted under a prefix.
struct static_mount {
    static_mount(server::impl& s, std::string p, const std::string& dir, static_files_options o)
        : srv(s), prefix(std::move(p)), root(dir), opts(std::move(o)) {}

    server_response answer(const request& req) const;
    bool relative_path(std::string_view raw, std::string& rel) const;
    server_response open_answer(const request& req, const std::string& rel, bool dir_hint) const;

    server::impl& srv;  // owns the route that owns this mount: outlives it
    std::string prefix; // "/assets" ("" at the root)
    static_root root;
    static_files_options opts;
};

// The checked, decoded path of raw (the path after the prefix, starting with '/') relative to
// the root, in rel ("" for the root); false when a segment is not allowed.
bool static_mount::relative_path(std::string_view raw, std::string& rel) const {
    raw.remove_prefix(1);
    if (raw.ends_with('/')) {
        raw.remove_suffix(1); // a directory: its index
    }
    if (raw.empty()) {
        return true;
    }
    for (;;) {
        const auto slash = raw.find('/');
        const std::string seg = percent_decode(raw.substr(0, slash));
        if (seg.empty() || seg == "." || seg == ".." ||
            seg.find_first_of(std::string_view("/\\\0", 3)) != std::string::npos ||
            (seg.front() == '.' && !opts.serve_hidden)) {
            return false;
        }
        rel += seg;
        if (slash == std::string_view::npos) {
            return true;
        }
        rel += '/';
        raw.remove_prefix(slash + 1);
    }
}

server_response static_mount::answer(const request& req) const {
    const std::string_view path = req.path();
    std::string rel;
    server_response r = !path.starts_with(prefix) || path.size() <= prefix.size() ||
                                !relative_path(path.substr(prefix.size()), rel)
                            ? not_found_answer()
                            : open_answer(req, rel, path.ends_with('/'));
    if (r.status() == 404) {
        srv.not_found.add(); // counted as the router's 404s are
    }
    return r;
}

server_response static_mount::open_answer(const request& req, const std::string& rel,
                                          bool dir_hint) const {
    int fd = root.open(rel, opts.follow_symlinks);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0) {
        if (fd >= 0) {
            ::close(fd);
        }
        return not_found_answer();
    }
    std::string name = rel;
    if (S_ISDIR(st.st_mode)) {
        ::close(fd);
        if (opts.index.empty()) {
            return not_found_answer();
        }
        name = rel.empty() ? opts.index : rel + "/" + opts.index;
        fd = root.open(name, opts.follow_symlinks);
        if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            if (fd >= 0) {
                ::close(fd);
            }
            return not_found_answer();
        }
        if (!dir_hint) {
            // "/assets/docs" -> "/assets/docs/", so that the index's relative links resolve.
            ::close(fd);
            server_response r(301, "Moved Permanently\n");
            std::string location(req.path());
            location += '/';
            if (!req.query().empty()) {
                location += '?';
                location += req.query();
            }
            r.set_header("Location", std::move(location));
            return r;
        }
    } else if (!S_ISREG(st.st_mode) || dir_hint) {
        ::close(fd);
        return not_found_answer();
    }
    return answer_with_file(req, fd, st, name, opts);
}

} // namespace

} // namespace detail

server_response serve_file(const request& req, const std::string& path,
                           const static_files_options& opts) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) {
            ::close(fd);
        }
        return detail::not_found_answer();
    }
    return detail::answer_with_file(req, fd, st, path, opts);
}

server& server::static_files(std::string_view prefix, const std::string& dir,
                             static_files_options opts) {
    std::string p(prefix);
    while (!p.empty() && p.back() == '/') {
        p.pop_back();
    }
    if (!p.empty() && (p.front() != '/' || p.find_first_of("{}") != std::string::npos)) {
        throw weft::error("weft::http::server::static_files: prefix \"" + std::string(prefix) +
                          "\" must start with '/' and have no parameter");
    }
    auto mount = std::make_shared<const detail::static_mount>(*impl_, p, dir, std::move(opts));
    // A file that is not there is the server's 404: on_not_found()'s page when it has one.
    return route("GET", p + "/{path...}", [mount](request& req) -> task<server_response> {
        server_response r = mount->answer(req);
        if (r.status() == 404 && mount->srv.pipeline.not_found) {
            co_return co_await mount->srv.pipeline.not_found(req);
        }
        co_return r;
    });
}

} // namespace weft::http
