#pragma once

#include <weft/runtime/detail/future_state.hpp>
#include <weft/runtime/error.hpp>

#include <exception>
#include <type_traits>
#include <utility>
#include <variant>

namespace weft {

/// A value or an exception: one settled result of gather_settled (asyncio's
/// gather(return_exceptions=True)). outcome<void> holds std::monostate as its value.
template <class T>
class outcome {
public:
    using value_type = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

    outcome() noexcept = default;

    void set_value(value_type v) { v_.template emplace<1>(std::move(v)); }
    void set_exception(std::exception_ptr e) noexcept { v_.template emplace<2>(std::move(e)); }

    /// Whether it holds a value.
    [[nodiscard]] bool has_value() const noexcept { return v_.index() == 1; }
    /// Whether it holds an exception.
    [[nodiscard]] bool has_exception() const noexcept { return v_.index() == 2; }
    /// Whether it holds a weft::cancelled_error.
    [[nodiscard]] bool cancelled() const noexcept {
        return has_exception() && detail::is_cancellation(std::get<2>(v_));
    }

    /// The value; rethrows the exception.
    /// @throws invalid_state_error when empty.
    value_type& value() & { return get(); }
    const value_type& value() const& { return const_cast<outcome*>(this)->get(); }
    value_type&& value() && { return std::move(get()); }

    /// The exception, or null.
    [[nodiscard]] std::exception_ptr exception() const noexcept {
        return has_exception() ? std::get<2>(v_) : nullptr;
    }

private:
    value_type& get() {
        if (v_.index() == 2) {
            std::rethrow_exception(std::get<2>(v_));
        }
        if (v_.index() == 0) {
            throw invalid_state_error("weft::outcome is empty");
        }
        return std::get<1>(v_);
    }

    std::variant<std::monostate, value_type, std::exception_ptr> v_;
};

} // namespace weft
