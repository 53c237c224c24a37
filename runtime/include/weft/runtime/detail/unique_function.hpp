#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace weft::detail {

template <class Signature>
class unique_function;

/// A move-only std::function (C++23's std::move_only_function), with room for four pointers
/// inline (an executor call with its promise fits, so submitting one costs no extra allocation).
template <class R, class... Args>
class unique_function<R(Args...)> {
    static constexpr std::size_t inline_size = 4 * sizeof(void*);

    struct ops {
        R (*invoke)(void*, Args&&...);
        void (*move)(void* from, void* to) noexcept; // move-construct into to, destroy from
        void (*destroy)(void*) noexcept;
    };

    template <class F>
    static constexpr bool fits_inline =
        sizeof(F) <= inline_size &&
        alignof(F) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<F>;

    template <class F>
    static constexpr ops inline_ops{
        [](void* p, Args&&... a) -> R { return (*static_cast<F*>(p))(std::forward<Args>(a)...); },
        [](void* from, void* to) noexcept {
            ::new (to) F(std::move(*static_cast<F*>(from)));
            static_cast<F*>(from)->~F();
        },
        [](void* p) noexcept { static_cast<F*>(p)->~F(); }};

    template <class F>
    static constexpr ops heap_ops{
        [](void* p, Args&&... a) -> R { return (**static_cast<F**>(p))(std::forward<Args>(a)...); },
        [](void* from, void* to) noexcept { ::new (to) F*(*static_cast<F**>(from)); },
        [](void* p) noexcept { delete *static_cast<F**>(p); }};

public:
    unique_function() noexcept = default;
    unique_function(std::nullptr_t) noexcept {}

    template <class F>
    requires(!std::is_same_v<std::decay_t<F>, unique_function> &&
             std::is_invocable_r_v<R, std::decay_t<F>&, Args...>)
        unique_function(F&& f) { // NOLINT(google-explicit-constructor): mirrors std::function
        using D = std::decay_t<F>;
        if constexpr (fits_inline<D>) {
            ::new (static_cast<void*>(storage_)) D(std::forward<F>(f));
            ops_ = &inline_ops<D>;
        } else {
            ::new (static_cast<void*>(storage_)) D*(new D(std::forward<F>(f)));
            ops_ = &heap_ops<D>;
        }
    }

    unique_function(unique_function&& other) noexcept : ops_(other.ops_) {
        if (ops_) {
            ops_->move(other.storage_, storage_);
            other.ops_ = nullptr;
        }
    }

    unique_function& operator=(unique_function&& other) noexcept {
        if (this != &other) {
            reset();
            if (other.ops_) {
                other.ops_->move(other.storage_, storage_);
                ops_ = std::exchange(other.ops_, nullptr);
            }
        }
        return *this;
    }

    unique_function(const unique_function&) = delete;
    unique_function& operator=(const unique_function&) = delete;

    ~unique_function() { reset(); }

    void reset() noexcept {
        if (ops_) {
            std::exchange(ops_, nullptr)->destroy(storage_);
        }
    }

    explicit operator bool() const noexcept { return ops_ != nullptr; }

    R operator()(Args... args) { return ops_->invoke(storage_, std::forward<Args>(args)...); }

private:
    const ops* ops_ = nullptr;
    alignas(std::max_align_t) unsigned char storage_[inline_size];
};

} // namespace weft::detail
