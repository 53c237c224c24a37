#pragma once

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::http {

/// ASCII case-insensitive equality, as HTTP field names compare.
[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        char y = b[i];
        if (x >= 'A' && x <= 'Z') {
            x = static_cast<char>(x - 'A' + 'a');
        }
        if (y >= 'A' && y <= 'Z') {
            y = static_cast<char>(y - 'A' + 'a');
        }
        if (x != y) {
            return false;
        }
    }
    return true;
}

/// One header field: name as received or given, value without surrounding whitespace.
struct header_field {
    std::string name;
    std::string value;
};

namespace detail {

/// The lookups every header container offers, over Derived's fields in order (begin()/end(), each
/// field with a name and a value convertible to std::string_view).
template <class Derived>
class header_lookups {
public:
    /// The value of the first field called name, or nullopt.
    [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const noexcept {
        for (const auto& f : self()) {
            if (iequals(f.name, name)) {
                return std::string_view(f.value);
            }
        }
        return std::nullopt;
    }

    /// The value of the first field called name, or fallback.
    [[nodiscard]] std::string_view get_or(std::string_view name,
                                          std::string_view fallback) const noexcept {
        return get(name).value_or(fallback);
    }

    /// The values of every field called name, in order.
    [[nodiscard]] std::vector<std::string_view> get_all(std::string_view name) const {
        std::vector<std::string_view> out;
        for (const auto& f : self()) {
            if (iequals(f.name, name)) {
                out.emplace_back(f.value);
            }
        }
        return out;
    }

    /// Whether a field called name is present.
    [[nodiscard]] bool contains(std::string_view name) const noexcept {
        return get(name).has_value();
    }

private:
    [[nodiscard]] const Derived& self() const noexcept {
        return static_cast<const Derived&>(*this);
    }
};

} // namespace detail

/// HTTP header fields in order of arrival, with case-insensitive lookup by name. Repeated fields
/// stay separate entries (Set-Cookie must not be folded); get() returns the first.
class headers : public detail::header_lookups<headers> {
public:
    using const_iterator = std::vector<header_field>::const_iterator;

    headers() = default;
    headers(std::initializer_list<header_field> fields) : fields_(fields) {}

    /// Appends a field, keeping any with the same name.
    void add(std::string name, std::string value) {
        fields_.push_back({std::move(name), std::move(value)});
    }

    /// Replaces every field called name with one field (appended when there was none).
    void set(std::string_view name, std::string value) {
        auto it = find(name);
        if (it == fields_.end()) {
            fields_.push_back({std::string(name), std::move(value)});
            return;
        }
        it->value = std::move(value);
        const auto first = it - fields_.begin();
        fields_.erase(std::remove_if(fields_.begin() + first + 1, fields_.end(),
                                     [&](const header_field& f) { return iequals(f.name, name); }),
                      fields_.end());
    }

    /// Removes every field called name; returns how many were removed.
    std::size_t erase(std::string_view name) {
        const auto before = fields_.size();
        fields_.erase(std::remove_if(fields_.begin(), fields_.end(),
                                     [&](const header_field& f) { return iequals(f.name, name); }),
                      fields_.end());
        return before - fields_.size();
    }

    void clear() noexcept { fields_.clear(); }
    [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }
    [[nodiscard]] bool empty() const noexcept { return fields_.empty(); }
    [[nodiscard]] const_iterator begin() const noexcept { return fields_.begin(); }
    [[nodiscard]] const_iterator end() const noexcept { return fields_.end(); }

private:
    std::vector<header_field>::iterator find(std::string_view name) noexcept {
        return std::find_if(fields_.begin(), fields_.end(),
                            [&](const header_field& f) { return iequals(f.name, name); });
    }

    std::vector<header_field> fields_;
};

} // namespace weft::http
