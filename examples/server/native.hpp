#pragma once

// The service's "native code": a blocking CPU-heavy function and a parser with a crash bug. They
// know nothing of weft; main.cpp decides where each one runs (the shared pool, a worker process).

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

namespace service {

/// A deliberately slow hash (a stand-in for password hashing or image work): 64-bit FNV-1a over
/// `text` repeated `rounds` times, as 16 hex digits. Blocks its thread for as long as it takes.
[[nodiscard]] std::string slow_hash(const std::string& text, std::uint64_t rounds);

/// A document line the parser rejects.
class parse_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Parses a document of `key: value` lines (blank lines and `#` comments skipped) into its fields.
/// It has two bugs on purpose, the kind a native library may have: a document starting with
/// "crash" kills the process with SIGSEGV, one starting with "hang" never returns.
/// @throws parse_error for a line that is not `key: value`.
[[nodiscard]] std::map<std::string, std::string> parse_document(const std::string& text);

} // namespace service
