#pragma once

// Two helpers shared by the examples, which are also tests: say() prints a line the way Python's
// print() does and keeps a copy of it, so that each program can compare what it printed with what
// it should have printed; check() records a failed expectation. main() returns exit_status().

#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

namespace example {

/// Everything said so far, one line per say().
inline std::string transcript;
inline int failures = 0;

/// Prints its arguments, concatenated, as one line (print(...)) and appends it to the transcript.
template <class... Args>
void say(const Args&... args) {
    std::ostringstream line;
    line << std::boolalpha;
    (line << ... << args);
    std::cout << line.str() << std::endl;
    transcript += line.str() + '\n';
}

/// Records a failure, with the reason on stderr, when ok is false.
inline void check(bool ok, std::string_view what) {
    if (!ok) {
        std::cerr << "CHECK FAILED: " << what << '\n';
        ++failures;
    }
}

/// Checks that the transcript is exactly `want`.
inline void check_transcript(std::string_view want) {
    check(transcript == want, "printed output differs from the expected one");
    if (transcript != want) {
        std::cerr << "--- expected:\n" << want << "--- got:\n" << transcript;
    }
}

/// 0 when every check passed, else 1.
inline int exit_status() {
    if (failures != 0) {
        std::cerr << failures << " check(s) failed\n";
    }
    return failures == 0 ? 0 : 1;
}

} // namespace example
