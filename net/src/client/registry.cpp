// Which multi handle serves a client on a loop: one registry per runtime (or stand-alone loop),
// kept as a runtime extension, maps (client id, loop) to its multi_ctx and holds the runtime's
// default client; it closes every handle when the runtime shuts down, on the handle's own loop.
#include "multi.hpp"

#include <weft/runtime/detail/extension.hpp>
#include <weft/runtime/detail/loop_ops.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace weft::http::detail {

namespace {

/// Closes a multi_ctx when destroyed: carried by a closure posted to the ctx's loop, it closes it
/// there, or wherever the closure is dropped if that loop closes first (it then runs no more).
struct close_on_drop {
    std::shared_ptr<multi_ctx> ctx;
    close_on_drop(std::shared_ptr<multi_ctx> c) : ctx(std::move(c)) {}
    close_on_drop(close_on_drop&&) noexcept = default;
    close_on_drop& operator=(close_on_drop&&) noexcept = default;
    ~close_on_drop() {
        if (ctx) {
            ctx->close();
        }
    }
};

void dispose(std::shared_ptr<multi_ctx> c) noexcept {
    weft::loop& l = c->home();
    if (weft::detail::current_loop_ptr() == &l || !l.is_running() || l.is_closed()) {
        c->close();
        return;
    }
    try {
        weft::detail::post(l, [guard = close_on_drop(std::move(c))] {});
    } catch (...) {
        // The loop refused the closure (closing): guard's destructor closed it here.
    }
}

/// Every multi handle of one runtime (or stand-alone loop), by (client id, loop), and the
/// runtime's default client. Shut down with the runtime, once every task has unwound.
class registry final : public weft::detail::extension {
public:
    std::shared_ptr<multi_ctx> get(const client_state& st, weft::loop& l) {
        std::lock_guard lock(mtx_);
        if (closed_) {
            throw invalid_state_error(
                "weft::http::client used after its runtime began shutting down");
        }
        const key k{st.id, &l};
        auto it = ctxs_.find(k);
        if (it != ctxs_.end()) {
            return it->second;
        }
        auto c = std::make_shared<multi_ctx>(l, st.opts);
        c->start();
        ctxs_.emplace(k, c);
        return c;
    }

    void drop(std::uint64_t id) noexcept {
        std::vector<std::shared_ptr<multi_ctx>> victims;
        {
            std::lock_guard lock(mtx_);
            for (auto it = ctxs_.lower_bound(key{id, nullptr});
                 it != ctxs_.end() && it->first.first == id;) {
                victims.push_back(std::move(it->second));
                it = ctxs_.erase(it);
            }
        }
        for (auto& c : victims) {
            dispose(std::move(c));
        }
    }

    std::shared_ptr<client_state> default_client() {
        std::lock_guard lock(mtx_);
        if (!default_) {
            default_ = std::make_shared<client_state>(client_options{});
        }
        return default_;
    }

    void shutdown() noexcept override {
        std::map<key, std::shared_ptr<multi_ctx>> all;
        {
            std::lock_guard lock(mtx_);
            closed_ = true;
            all.swap(ctxs_);
        }
        for (auto& [k, c] : all) {
            dispose(std::move(c));
        }
    }

    ~registry() override {
        // Only reached with handles left when shutdown() never ran; the loops are stopped by now.
        for (auto& [k, c] : ctxs_) {
            c->close();
        }
    }

private:
    using key = std::pair<std::uint64_t, const weft::loop*>;
    std::mutex mtx_;
    std::map<key, std::shared_ptr<multi_ctx>> ctxs_;
    std::shared_ptr<client_state> default_;
    bool closed_ = false;
};

const char registry_key = 0;

registry& current_registry() {
    auto& ext = weft::detail::runtime_extension(
        &registry_key, [](const weft::options&) -> std::unique_ptr<weft::detail::extension> {
            return std::make_unique<registry>();
        });
    return static_cast<registry&>(ext);
}

} // namespace

std::shared_ptr<multi_ctx> multi_for(const client_state& st, weft::loop& l) {
    return current_registry().get(st, l);
}

void drop_client(std::uint64_t id) noexcept {
    if (weft::detail::current_loop_ptr() == nullptr) {
        return; // not on a loop: the runtime that made its handles closed them at shutdown
    }
    try {
        current_registry().drop(id);
    } catch (...) {
        // No registry can be made now: nothing to drop.
    }
}

std::shared_ptr<client_state> default_client() {
    return current_registry().default_client();
}

} // namespace weft::http::detail
