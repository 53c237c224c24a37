// env_count() (detail/env.hpp): a positive count, such as a number of threads, read from an
// environment variable; anything else there throws weft::error naming the variable and the range
// it accepts.
#include <weft/runtime/detail/env.hpp>
#include <weft/runtime/error.hpp>

#include <cstdlib>
#include <string>

namespace weft::detail {

std::optional<std::size_t> env_count(const char* name, const char* what, std::size_t max) {
    const char* env = std::getenv(name);
    if (env == nullptr || *env == '\0') {
        return std::nullopt;
    }
    char* end = nullptr;
    unsigned long n = std::strtoul(env, &end, 10);
    if (end == env || *end != '\0' || n == 0 || n > max) {
        throw error(std::string(name) + " must be a " + what + " from 1 to " + std::to_string(max) +
                    ", got '" + env + "'");
    }
    return n;
}

} // namespace weft::detail
