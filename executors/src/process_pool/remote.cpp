// The registry of remote functions and exception types that remote.hpp declares: filled by the
// static initialisers of WEFT_REMOTE and WEFT_REMOTE_EXCEPTION, the same in the parent and in
// every worker (the same program), and read by key when a call crosses. Its names are in
// weft::detail, beside the header templates that register into it.

#include <weft/executors/remote.hpp>

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace weft::detail {

namespace {

struct fn_entry {
    std::string key;
    remote_fn_id fn = nullptr;
    remote_invoker invoke = nullptr;
    bool ambiguous = false; // another function was registered under the same key
};

struct registry {
    std::mutex mtx;
    std::unordered_map<std::string, std::unique_ptr<fn_entry>> by_key;
    std::unordered_map<remote_fn_id, fn_entry*> by_fn;
    std::unordered_map<std::string, remote_exception_factory> exceptions;
};

registry& table() {
    static registry* r = new registry(); // never destroyed: workers and exit paths may use it late
    return *r;
}

} // namespace

bool register_remote(const char* name, remote_fn_id fn, remote_invoker invoke) noexcept {
    try {
        registry& r = table();
        std::lock_guard lock(r.mtx);
        auto& slot = r.by_key[name];
        if (!slot) {
            slot = std::make_unique<fn_entry>(fn_entry{name, fn, invoke, false});
        } else if (slot->fn != fn) {
            slot->ambiguous = true;
        }
        r.by_fn.emplace(fn, slot.get());
        return true;
    } catch (...) {
        return false;
    }
}

const std::string& remote_key_of(remote_fn_id fn, const char* signature) {
    registry& r = table();
    std::lock_guard lock(r.mtx);
    auto it = r.by_fn.find(fn);
    if (it == r.by_fn.end()) {
        throw remote_registration_error(
            "weft::process_pool: the function (" + demangle(signature) +
            ") is not registered: add WEFT_REMOTE(its_name); at namespace scope after it");
    }
    if (it->second->ambiguous) {
        throw remote_registration_error(
            "weft::process_pool: two different functions were registered as '" + it->second->key +
            "': write the qualified name in WEFT_REMOTE (WEFT_REMOTE(ns::" + it->second->key +
            ")) so that each has its own key");
    }
    return it->second->key;
}

remote_invoker find_remote(std::string_view key) noexcept {
    try {
        registry& r = table();
        std::lock_guard lock(r.mtx);
        auto it = r.by_key.find(std::string(key));
        if (it == r.by_key.end() || it->second->ambiguous) {
            return nullptr;
        }
        return it->second->invoke;
    } catch (...) {
        return nullptr;
    }
}

bool register_remote_exception(const char* mangled, remote_exception_factory make) noexcept {
    try {
        registry& r = table();
        std::lock_guard lock(r.mtx);
        r.exceptions.emplace(mangled, make);
        return true;
    } catch (...) {
        return false;
    }
}

remote_exception_factory find_remote_exception(std::string_view mangled) noexcept {
    try {
        registry& r = table();
        std::lock_guard lock(r.mtx);
        auto it = r.exceptions.find(std::string(mangled));
        return it == r.exceptions.end() ? nullptr : it->second;
    } catch (...) {
        return nullptr;
    }
}

std::string demangle(const char* mangled) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> out(
        abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
    return status == 0 && out ? std::string(out.get()) : std::string(mangled);
}

} // namespace weft::detail

// Errors the pool itself raises in a worker cross as themselves.
WEFT_REMOTE_EXCEPTION(weft::message_too_large);
WEFT_REMOTE_EXCEPTION(weft::remote_registration_error);
