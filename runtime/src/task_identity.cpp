// Task identity: names, cancel messages, task_handle, all_tasks(). A task pays for none of this
// until it is named or cancelled with a message (root_base::extra_ stays null); everything here
// runs on a task's home loop, except what task_handle documents as thread-safe.

#include <weft/runtime/current_task.hpp>
#include <weft/runtime/loop.hpp>

#include "loop_impl.hpp"

#include <new>

namespace weft {
namespace detail {

namespace {

const std::string& no_name() noexcept {
    static const std::string empty;
    return empty;
}

void require_home(const root_base& r, const char* what) {
    if (current_loop_ptr() != &r.home()) {
        throw invalid_state_error(std::string("weft::task_handle::") + what +
                                  "() called off the task's loop; call it from a coroutine or "
                                  "callback on that loop");
    }
}

} // namespace

void root_base::request_cancel(std::string message) noexcept {
    try {
        if (!extra_) {
            extra_ = std::make_unique<task_extra>();
        }
        extra_->cancel_message = std::move(message);
    } catch (const std::bad_alloc&) {
        // Out of memory: the cancellation still goes through, without its message.
    }
    cancel_.request();
}

const std::string& root_base::name() const noexcept {
    return extra_ ? extra_->name : no_name();
}

void root_base::set_name(std::string name) {
    if (!extra_) {
        extra_ = std::make_unique<task_extra>();
    }
    extra_->name = std::move(name);
}

std::exception_ptr root_base::cancelled_before_start() const {
    const std::string* m = cancel_message();
    return std::make_exception_ptr(
        cancelled_error("task was cancelled before it started", m != nullptr ? *m : ""));
}

std::exception_ptr root_base::with_cancel_message(std::exception_ptr e) const noexcept {
    if (!is_cancellation(e)) {
        return e;
    }
    try {
        std::rethrow_exception(e);
    } catch (const cancelled_error& c) {
        if (!c.message().empty()) {
            return e; // it carries a message of its own already
        }
        try {
            return std::make_exception_ptr(cancelled_error(c.what(), *cancel_message()));
        } catch (...) {
            return e;
        }
    } catch (...) {
        return e;
    }
}

cancelled_error cancelled_in(const cancel_state* slot, const char* what) {
    if (slot != nullptr && slot->owner() != nullptr) {
        if (const std::string* m = slot->owner()->cancel_message()) {
            return cancelled_error(what, *m);
        }
    }
    return cancelled_error(what);
}

bool has_cancel_message(const root_base& r) noexcept {
    return r.cancel_message() != nullptr;
}

std::string task_name(future_state_base& s) {
    root_base* r = s.as_root();
    return r != nullptr ? r->name() : std::string();
}

void set_task_name(future_state_base& s, std::string name) {
    root_base* r = s.as_root();
    if (r == nullptr) {
        throw invalid_state_error("weft::future::set_name(): this future is a promise's, not a "
                                  "task's; only tasks have names");
    }
    require_home(*r, "set_name");
    r->set_name(std::move(name));
}

} // namespace detail

detail::root_base& task_handle::root() const {
    if (r_ == nullptr) {
        throw invalid_state_error("weft::task_handle is null (no task)");
    }
    return *r_;
}

detail::root_base& task_handle::root_on_home(const char* what) const {
    detail::root_base& r = root();
    detail::require_home(r, what);
    return r;
}

std::string task_handle::name() const {
    return root().name();
}

void task_handle::set_name(std::string name) {
    root_on_home("set_name").set_name(std::move(name));
}

bool task_handle::done() const {
    return root().shared().done();
}

bool task_handle::cancelled() const {
    return root().shared().cancelled();
}

bool task_handle::cancel() {
    return root().shared().cancel();
}

bool task_handle::cancel(std::string message) {
    return root().shared().cancel_with(std::move(message));
}

std::uint32_t task_handle::cancelling() const {
    return root_on_home("cancelling").cancel_slot().cancelling();
}

std::uint32_t task_handle::uncancel() {
    return root_on_home("uncancel").cancel_slot().uncancel();
}

std::vector<task_handle> all_tasks() {
    loop& l = current_loop();
    std::vector<task_handle> out;
    for (detail::root_base* r = l.impl().first_root(); r != nullptr; r = r->next_) {
        out.emplace_back(r);
    }
    return out;
}

} // namespace weft
