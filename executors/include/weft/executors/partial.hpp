#pragma once

#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace weft {

/// functools.partial: fn with its first arguments bound by value. Calling it with more arguments
/// appends them: `partial(print_words, "Hello", "Python")("Script")` calls
/// `print_words("Hello", "Python", "Script")`. Works with free functions, lambdas and member
/// function pointers (the object first). The bound arguments are stored as values (decayed
/// copies), so a partial can outlive the call that made it; std::ref binds a reference on
/// purpose. Process pools need partial rather than a lambda: its parts can be serialised.
template <class F, class... Bound>
class partial_fn {
public:
    template <class G, class... A>
    explicit partial_fn(std::in_place_t, G&& fn, A&&... args)
        : fn_(std::forward<G>(fn)), bound_(std::forward<A>(args)...) {}

    /// Calls fn(bound..., more...).
    template <class... More>
    requires std::is_invocable_v<F&, Bound&..., More&&...>
    decltype(auto) operator()(More&&... more) & {
        return std::apply(
            [&](Bound&... b) -> decltype(auto) {
                return std::invoke(fn_, b..., std::forward<More>(more)...);
            },
            bound_);
    }

    template <class... More>
    requires std::is_invocable_v<const F&, const Bound&..., More&&...>
    decltype(auto) operator()(More&&... more) const& {
        return std::apply(
            [&](const Bound&... b) -> decltype(auto) {
                return std::invoke(fn_, b..., std::forward<More>(more)...);
            },
            bound_);
    }

    template <class... More>
    requires std::is_invocable_v<F&&, Bound&&..., More&&...>
    decltype(auto) operator()(More&&... more) && {
        return std::apply(
            [&](Bound&... b) -> decltype(auto) {
                return std::invoke(std::move(fn_), std::move(b)..., std::forward<More>(more)...);
            },
            bound_);
    }

    /// The wrapped callable (functools.partial.func).
    [[nodiscard]] const F& func() const noexcept { return fn_; }
    /// The bound arguments (functools.partial.args).
    [[nodiscard]] const std::tuple<Bound...>& args() const noexcept { return bound_; }

private:
    F fn_;
    std::tuple<Bound...> bound_;
};

/// Binds fn's first arguments by value (functools.partial).
template <class F, class... A>
[[nodiscard]] auto partial(F&& fn, A&&... args) {
    return partial_fn<std::decay_t<F>, std::decay_t<A>...>(std::in_place, std::forward<F>(fn),
                                                           std::forward<A>(args)...);
}

} // namespace weft
