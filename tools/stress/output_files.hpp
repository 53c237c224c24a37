#pragma once

// The report files of `weft stress` (--json, --csv, --html): checked before the sweep, so that a
// path that cannot be written fails at once (exit status 2) instead of after minutes of
// measuring, and written afterwards with the system's reason when that still fails.

#include <string>

namespace weft::stress {

/// Whether `path` can be written, without creating or truncating anything: an existing file must
/// be writable, a new one needs an existing, writable directory. Returns "" when it can, else
/// "--html /no/dir/x.html: cannot write: /no/dir: No such file or directory" (`option`, the path,
/// the directory when it is the one at fault, and the errno text).
[[nodiscard]] std::string check_writable(const std::string& option, const std::string& path);

/// Writes `text` to `path` (replacing the file). Returns "" or "cannot write PATH: <errno text>".
[[nodiscard]] std::string write_text_file(const std::string& path, const std::string& text);

} // namespace weft::stress
