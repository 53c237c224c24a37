// weft::log (log.hpp): the named spdlog loggers of weft's subsystems (weft.runtime, weft.exec,
// ...). One the application registered is used as it is; otherwise one is made on stderr at the
// level WEFT_LOG_LEVEL names (warn by default). The application's default logger is never touched.
#include <weft/runtime/log.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace weft::log {

namespace {

spdlog::level::level_enum level_from_env() noexcept {
    const char* v = std::getenv("WEFT_LOG_LEVEL");
    if (v == nullptr || *v == '\0') {
        return spdlog::level::warn;
    }
    auto lvl = spdlog::level::from_str(v); // unknown names map to off
    if (lvl == spdlog::level::off && std::string_view(v) != "off") {
        return spdlog::level::warn;
    }
    return lvl;
}

} // namespace

spdlog::logger& get(std::string_view name) {
    static std::mutex mtx;
    std::lock_guard lock(mtx);
    static std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> owned;
    if (auto it = owned.find(name); it != owned.end()) {
        return *it->second;
    }
    std::string key(name);
    auto logger = spdlog::get(key); // the application may have configured it already
    if (!logger) {
        logger = spdlog::stderr_color_mt(key);
        logger->set_level(level_from_env());
    }
    return *owned.emplace(std::move(key), std::move(logger)).first->second;
}

spdlog::logger& runtime() {
    static spdlog::logger& l = get("weft.runtime");
    return l;
}

} // namespace weft::log
