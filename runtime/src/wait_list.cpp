// The machinery under weft's synchronisation primitives (detail/wait_list.hpp): the intrusive list
// of waiting tasks, the wake_chain that resumes woken waiters once the primitive's mutex is
// released, and a waiter's cancellation, which may race a waker on another thread: the mutex and
// the node's status decide which wins.
#include <weft/runtime/detail/wait_list.hpp>
#include <weft/runtime/error.hpp>

#include <utility>

namespace weft::detail {

void wait_list::push_back(wait_node* n) noexcept {
    n->next = nullptr;
    n->prev = tail_;
    if (tail_ != nullptr) {
        tail_->next = n;
    } else {
        head_ = n;
    }
    tail_ = n;
    ++size_;
}

wait_node* wait_list::pop_front() noexcept {
    wait_node* n = head_;
    if (n != nullptr) {
        remove(n);
    }
    return n;
}

void wait_list::remove(wait_node* n) noexcept {
    if (n->prev != nullptr) {
        n->prev->next = n->next;
    } else {
        head_ = n->next;
    }
    if (n->next != nullptr) {
        n->next->prev = n->prev;
    } else {
        tail_ = n->prev;
    }
    n->prev = nullptr;
    n->next = nullptr;
    --size_;
}

void wake_chain::add(wait_node* n, wait_node::status s) noexcept {
    n->st = s;
    n->next = nullptr;
    if (tail_ != nullptr) {
        tail_->next = n;
    } else {
        head_ = n;
    }
    tail_ = n;
}

void wake_chain::add_all(wait_list& l, wait_node::status s) noexcept {
    while (wait_node* n = l.pop_front()) {
        add(n, s);
    }
}

void wake_chain::wake() noexcept {
    wait_node* n = std::exchange(head_, nullptr);
    tail_ = nullptr;
    while (n != nullptr) {
        // Once resumed, n's coroutine may run on its loop and free the frame holding n.
        wait_node* next = n->next;
        resume_on(n->home, n->h);
        n = next;
    }
}

void wait_base::finish_wait(const char* what) const {
    if (slot_ != nullptr) {
        slot_->clear_hook();
    }
    if (node_.st == wait_node::status::cancelled) {
        throw cancelled_in(slot_, what);
    }
}

loop* wait_base::require_loop() {
    loop* l = current_loop_ptr();
    if (l == nullptr) {
        throw invalid_state_error("a weft synchronisation primitive was awaited outside a weft "
                                  "loop; await it from a task");
    }
    return l;
}

// Runs on the waiter's home loop. A waker on another thread may be deciding this node's fate at
// the same moment: the mutex and the node's status settle it. If the waker won, the node is no
// longer in the list and owns what it was given; we must not touch the list nor resume it, and we
// return false so that the cancellation stays pending for the next suspension point.
bool wait_base::on_cancel(void* p) noexcept {
    auto* self = static_cast<wait_base*>(p);
    std::coroutine_handle<> h;
    loop* home = nullptr;
    {
        std::lock_guard<std::mutex> g(*self->mutex_);
        if (self->node_.st != wait_node::status::waiting) {
            return false;
        }
        self->list_->remove(&self->node_);
        self->node_.st = wait_node::status::cancelled;
        if (self->on_leave_locked_ != nullptr) {
            self->on_leave_locked_(self);
        }
        h = self->node_.h;
        home = self->node_.home;
    }
    resume_on(home, h);
    return true;
}

} // namespace weft::detail
