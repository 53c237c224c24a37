// The Content-Type of a file by its extension (static_files.hpp): a built-in table of the common
// web types. Text types say charset=utf-8; an unknown extension is application/octet-stream, so
// that a browser does not guess (with X-Content-Type-Options left to the application).

#include <weft/net/http/headers.hpp>
#include <weft/net/http/static_files.hpp>

#include <utility>

namespace weft::http {

namespace {

constexpr std::pair<std::string_view, std::string_view> types[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"webmanifest", "application/manifest+json"},
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"xml", "application/xml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/x-icon"},
    {"bmp", "image/bmp"},
    {"wasm", "application/wasm"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"pdf", "application/pdf"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tar", "application/x-tar"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
    {"wav", "audio/wav"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"rss", "application/rss+xml"},
    {"atom", "application/atom+xml"},
    {"yaml", "application/yaml"},
    {"yml", "application/yaml"},
    {"toml", "application/toml"},
    {"ics", "text/calendar; charset=utf-8"},
    {"vtt", "text/vtt; charset=utf-8"},
    {"jsonld", "application/ld+json"},
    {"xz", "application/x-xz"},
};

} // namespace

std::string_view content_type_for(std::string_view file_name) noexcept {
    const auto slash = file_name.find_last_of('/');
    if (slash != std::string_view::npos) {
        file_name.remove_prefix(slash + 1);
    }
    const auto dot = file_name.find_last_of('.');
    if (dot != std::string_view::npos && dot != 0) {
        const std::string_view ext = file_name.substr(dot + 1);
        for (const auto& [e, type] : types) {
            if (iequals(e, ext)) {
                return type;
            }
        }
    }
    return "application/octet-stream";
}

} // namespace weft::http
