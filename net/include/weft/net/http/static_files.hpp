#pragma once

#include <weft/net/http/request.hpp>
#include <weft/net/http/server_response.hpp>

#include <string>
#include <string_view>

namespace weft::http {

/// How files are served: by server::static_files() under a path prefix, and by serve_file().
struct static_files_options {
    /// The file served for a directory ("/assets/docs/" serves docs/index.html; "/assets/docs"
    /// is redirected there with 301). Empty: none, and every directory is 404 (never a listing).
    std::string index = "index.html";
    /// The Cache-Control field of each file response (empty: none). The default lets clients
    /// keep files but makes them ask again each time: cheap, with ETag and 304.
    std::string cache_control = "no-cache";
    /// Whether symbolic links inside the root are followed when they lead to a file inside the
    /// root too; a link leading out of the root is 404 either way.
    bool follow_symlinks = true;
    /// Whether files and directories whose name starts with '.' (.git, .env, .htpasswd) are
    /// served; by default they are 404.
    bool serve_hidden = false;
};

/// The Content-Type for a file name, by its extension (case-insensitive): the common web types
/// (text ones with "; charset=utf-8"), "application/octet-stream" for others.
[[nodiscard]] std::string_view content_type_for(std::string_view file_name) noexcept;

/// An answer to req (GET or HEAD) with the regular file at path: 200 with the file as body
/// (sent with sendfile(2)), Content-Type from content_type_for(), ETag, Last-Modified,
/// Accept-Ranges and opts.cache_control; 304 when If-None-Match or If-Modified-Since say the
/// client has it; 206 for one byte range (Range, If-Range), 416 for an unsatisfiable one (other
/// Range fields: the whole file). 404 when path is missing, unreadable or not a regular file.
/// The file is opened and examined on the calling thread (a few system calls on a local file);
/// path is used as given, unchecked: use server::static_files() for paths from requests.
[[nodiscard]] server_response serve_file(const request& req, const std::string& path,
                                         const static_files_options& opts = {});

} // namespace weft::http
