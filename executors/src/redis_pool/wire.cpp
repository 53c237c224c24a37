// The shared vocabulary of redis pool callers and workers (wire.hpp): queue key names checked
// once, the cancel channel's tokens, and error reports made from caught exceptions.

#include "wire.hpp"

#include "../process_pool/protocol.hpp"
#include "connection.hpp"

#include <hiredis/hiredis.h>

#include <weft/executors/remote.hpp>

#include <charconv>
#include <stdexcept>
#include <typeinfo>

namespace weft::detail::rp {

queue_keys::queue_keys(const std::string& queue) {
    if (queue.empty() || queue.size() > 200) {
        throw std::invalid_argument("redis_pool: the queue name must be 1 to 200 characters");
    }
    for (const char ch : queue) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c == 0x7f || c == '{' || c == '}') {
            throw std::invalid_argument(
                "redis_pool: the queue name \"" + queue +
                "\" has a space, brace or control character; use letters, digits, '-', '_', '.'");
        }
    }
    prefix = "weft:{" + queue + "}:";
    calls = prefix + "calls";
    dead = prefix + "dead";
    cancel = prefix + "cancel";
}

std::string cancel_token(std::string_view caller, std::uint64_t seq) {
    std::string t(caller);
    t.push_back(':');
    t += std::to_string(seq);
    return t;
}

std::string error_report_of(std::exception_ptr e) {
    std::string out;
    try {
        std::rethrow_exception(std::move(e));
    } catch (const remote_error& r) {
        pp::put_error_report(out, "", r.type_name(), r.remote_what());
    } catch (const std::exception& x) {
        const char* mangled = typeid(x).name();
        pp::put_error_report(out, mangled, demangle(mangled), x.what());
    } catch (...) {
        pp::put_error_report(out, "", "unknown exception", "");
    }
    return out;
}

std::string_view entry_field(const redisReply* fields, std::string_view name) noexcept {
    if (fields == nullptr || fields->type != REDIS_REPLY_ARRAY) {
        return {};
    }
    for (std::size_t i = 0; i + 1 < fields->elements; i += 2) {
        if (reply_text(fields->element[i]) == name) {
            return reply_text(fields->element[i + 1]);
        }
    }
    return {};
}

bool parse_u64(std::string_view s, std::uint64_t& v) noexcept {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

} // namespace weft::detail::rp
