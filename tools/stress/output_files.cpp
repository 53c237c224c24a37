// Report files of `weft stress` (output_files.hpp): the check before the run uses stat() and
// access() only, so that it neither creates a file nor truncates an old report; the write after
// the run reports errno's text with the path.
#include "output_files.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace weft::stress {

namespace {

/// "--html /a/b.html: cannot write: /a: No such file or directory" (`where`: the directory that
/// failed, when not the file itself).
std::string failure(const std::string& option, const std::string& path, int err,
                    const std::string& where = "") {
    return option + " " + path + ": cannot write: " + (where.empty() ? "" : where + ": ") +
           std::strerror(err);
}

} // namespace

std::string check_writable(const std::string& option, const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            return failure(option, path, EISDIR);
        }
        return ::access(path.c_str(), W_OK) == 0 ? "" : failure(option, path, errno);
    }
    if (errno != ENOENT) {
        return failure(option, path, errno);
    }
    const std::size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "."
                            : slash == 0               ? "/"
                                                       : path.substr(0, slash);
    if (::stat(dir.c_str(), &st) != 0) {
        return failure(option, path, errno, dir);
    }
    if (!S_ISDIR(st.st_mode)) {
        return failure(option, path, ENOTDIR, dir);
    }
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        return failure(option, path, errno, dir);
    }
    return "";
}

std::string write_text_file(const std::string& path, const std::string& text) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) {
        return "cannot write " + path + ": " + std::strerror(errno);
    }
    int err = 0;
    if (std::fwrite(text.data(), 1, text.size(), f) != text.size() || std::fflush(f) != 0) {
        err = errno;
    }
    if (std::fclose(f) != 0 && err == 0) {
        err = errno;
    }
    return err == 0 ? "" : "cannot write " + path + ": " + std::strerror(err);
}

} // namespace weft::stress
