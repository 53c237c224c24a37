// weft::task_group, asyncio's TaskGroup (task_group.hpp): adopting members, noting each one's end,
// cancelling the other members and the scope's body at the first failure, and closing a scope,
// where errors take precedence over a cancellation from outside, as in asyncio's __aexit__. Also:
// joining a plain task_group.
#include <weft/runtime/log.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/task_group.hpp>

namespace weft {

namespace detail {

namespace {

struct member_node final : waiter_node {
    std::shared_ptr<task_group_state> group;
    future_state_base* member = nullptr;
};

} // namespace

void task_group_state::adopt(future_state_base* s) {
    auto* n = new member_node;
    n->group = shared_from_this();
    n->member = s;
    n->fire = [](waiter_node* w) noexcept {
        std::unique_ptr<member_node> self(static_cast<member_node*>(w));
        // Members complete on the group's loop (create_task), so this runs there.
        self->group->member_done(self->member);
    };
    s->add_ref();
    members.insert(s);
    if (!s->add_waiter(n)) {
        n->fire(n);
    }
}

void task_group_state::member_done(future_state_base* s) noexcept {
    members.erase(s);
    std::exception_ptr e = s->error();
    s->release();
    if (e && !first_error && !cancelling && !is_cancellation(e)) {
        first_error = std::move(e);
        cancelling = true;
        cancel_all();
        if (owner != nullptr) {
            // The body's current await ends with cancelled_error; the scope withdraws this
            // request once the body has finished (uncancel), so it is told from an outer cancel.
            owner_cancel_requested = true;
            owner->request();
        }
    }
    if (members.empty() && joiner) {
        schedule(*home, resume_runnable(std::exchange(joiner, {})));
    }
}

void task_group_state::cancel_all() noexcept {
    // Cancelling only requests (hooks queue resumptions), so members does not change meanwhile.
    for (future_state_base* m : members) {
        m->cancel();
    }
}

task_group_state::~task_group_state() = default;

task<std::exception_ptr> close_scope(task_group_state& s, std::exception_ptr body_error) {
    cancel_state* const owner = std::exchange(s.owner, nullptr); // failures now cancel members only
    if (body_error && !s.cancelling) {
        s.cancelling = true; // the body failed or was cancelled: the members are not waited for
        s.cancel_all();
    }
    if (s.owner_cancel_requested) {
        (void)owner->uncancel(); // and drops the request if the body never met it
    }
    bool join_cancelled = false;
    try {
        co_await task_group::join_awaiter{&s};
    } catch (const cancelled_error&) {
        join_cancelled = true; // the task was cancelled from outside while the members unwound
    } catch (...) {
        // The first member failure, kept in s.first_error.
    }
    std::exception_ptr error = s.first_error;
    if (!error && body_error && !is_cancellation(body_error)) {
        error = body_error;
    }
    if (error) {
        // Errors take precedence over a cancellation from outside (asyncio's __aexit__); one that
        // came during the scope stays requested, for the task's next suspension point.
        if (owner != nullptr && owner->cancelling() > s.owner_cancels_before) {
            owner->restore();
        }
        co_return error;
    }
    if (body_error) {
        co_return body_error; // the outer cancellation the body met
    }
    if (join_cancelled) {
        co_return std::make_exception_ptr(cancelled_error("task group scope was cancelled"));
    }
    co_return nullptr;
}

} // namespace detail

task_group::task_group() : state_(std::make_shared<detail::task_group_state>()) {
    state_->home = &current_loop();
}

task_group::~task_group() {
    if (!state_->members.empty()) {
        log::runtime().error("task_group destroyed with {} task(s) still running: they are "
                             "cancelled; co_await group.join() before the group goes out of scope",
                             state_->members.size());
        state_->cancelling = true;
        state_->cancel_all();
    }
    state_->closed = true;
}

void task_group::check_open() const {
    if (state_->closed) {
        throw invalid_state_error("task_group::create_task() after join() finished");
    }
    if (state_->cancelling && state_->scoped) {
        // As asyncio's TaskGroup: a member must not outgrow a scope that is shutting down. (A
        // plain task_group keeps taking members: servers feed theirs from an accept loop.)
        throw invalid_state_error(
            "task_group::create_task() while the group is shutting down (a member failed, or "
            "the group or its task was cancelled)");
    }
    if (detail::current_loop_ptr() != state_->home) {
        throw invalid_state_error(
            "task_group::create_task() called off the group's loop; a task_group is loop-affine");
    }
}

bool task_group::join_awaiter::suspend(std::coroutine_handle<> h, detail::cancel_state* slot) {
    if (s_->joiner) {
        throw invalid_state_error("task_group::join() awaited by two tasks at once");
    }
    s_->joiner = h;
    s_->joiner_slot = slot;
    if (slot != nullptr) {
        auto on_cancel = [](void* p) noexcept {
            auto* s = static_cast<detail::task_group_state*>(p);
            s->outer_cancelled = true;
            s->cancelling = true;
            s->cancel_all();
            return true;
        };
        if (slot->consume()) {
            on_cancel(s_);
        } else {
            slot->set_hook(on_cancel, s_);
        }
    }
    return true;
}

void task_group::join_awaiter::await_resume() {
    if (s_->joiner_slot != nullptr) {
        s_->joiner_slot->clear_hook();
        s_->joiner_slot = nullptr;
    }
    s_->closed = true;
    if (s_->outer_cancelled) {
        throw cancelled_error("task_group::join() was cancelled");
    }
    if (s_->first_error) {
        std::rethrow_exception(s_->first_error);
    }
}

} // namespace weft
