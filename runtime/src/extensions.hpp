#pragma once

// Private: the extensions (detail/extension.hpp) one runtime or stand-alone loop owns, made on
// first use and shut down newest first.

#include <weft/runtime/detail/extension.hpp>
#include <weft/runtime/run.hpp>

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace weft::detail {

/// The extensions of one runtime or stand-alone loop.
class extension_set {
public:
    extension& get(const void* key, extension_factory make, const options& opts) {
        std::lock_guard lock(mtx_);
        for (auto& [k, e] : items_) {
            if (k == key) {
                return *e;
            }
        }
        items_.emplace_back(key, make(opts));
        return *items_.back().second;
    }

    /// Shuts every extension down, newest first.
    void shutdown_all() noexcept {
        std::vector<extension*> todo;
        {
            std::lock_guard lock(mtx_);
            for (auto& item : items_) {
                todo.push_back(item.second.get());
            }
        }
        for (auto it = todo.rbegin(); it != todo.rend(); ++it) {
            (*it)->shutdown();
        }
    }

private:
    std::mutex mtx_;
    std::vector<std::pair<const void*, std::unique_ptr<extension>>> items_;
};

} // namespace weft::detail
