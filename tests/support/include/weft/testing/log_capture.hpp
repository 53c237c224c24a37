#pragma once

/// Captures what one of weft's loggers writes while it lives, for tests that assert on a warning.

#include <weft/runtime/log.hpp>

#include <spdlog/sinks/base_sink.h>

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace weft::testing {

/// Adds a sink to the named weft logger (at least at `level`) and removes it on destruction. Not
/// for use while another thread reconfigures the same logger.
class log_capture {
public:
    explicit log_capture(std::string_view logger = "weft.runtime",
                         spdlog::level::level_enum level = spdlog::level::warn)
        : logger_(weft::log::get(logger)), sink_(std::make_shared<sink>()),
          saved_level_(logger_.level()) {
        logger_.sinks().push_back(sink_);
        if (saved_level_ > level) {
            logger_.set_level(level);
        }
    }
    log_capture(const log_capture&) = delete;
    log_capture& operator=(const log_capture&) = delete;
    ~log_capture() {
        auto& sinks = logger_.sinks();
        sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
        logger_.set_level(saved_level_);
    }

    /// Every message so far (payload only).
    [[nodiscard]] std::vector<std::string> messages() const {
        std::lock_guard lock(sink_->mtx);
        return sink_->lines;
    }

    /// How many messages contain every one of the given fragments.
    [[nodiscard]] std::size_t count(std::initializer_list<std::string_view> fragments) const {
        std::size_t n = 0;
        for (const std::string& m : messages()) {
            if (std::all_of(fragments.begin(), fragments.end(),
                            [&](std::string_view f) { return m.find(f) != std::string::npos; })) {
                ++n;
            }
        }
        return n;
    }

private:
    struct sink final : spdlog::sinks::base_sink<std::mutex> {
        std::mutex mtx;
        std::vector<std::string> lines;

    protected:
        void sink_it_(const spdlog::details::log_msg& msg) override {
            std::lock_guard lock(mtx);
            lines.emplace_back(msg.payload.data(), msg.payload.size());
        }
        void flush_() override {}
    };

    spdlog::logger& logger_;
    std::shared_ptr<sink> sink_;
    spdlog::level::level_enum saved_level_;
};

} // namespace weft::testing
