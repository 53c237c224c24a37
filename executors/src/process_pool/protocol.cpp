// The process pool's frame codec (see protocol.hpp for the format): the encoders the parent and
// the worker use to build frames and error reports, and the error-report decoder. The frame
// decoder both ends read with is inline in the header; and what an error report becomes for the
// awaiter (shared with the redis pool, whose workers send the same reports).

#include "protocol.hpp"

#include <weft/executors/remote.hpp>

namespace weft::detail::pp {

namespace {

void put_str(std::string& out, std::string_view s) {
    char len[4];
    put_u32(len, static_cast<std::uint32_t>(s.size()));
    out.append(len, 4);
    out.append(s);
}

bool get_str(std::string_view& in, std::string& s) {
    if (in.size() < 4) {
        return false;
    }
    std::uint32_t n = get_u32(in.data());
    if (in.size() - 4 < n) {
        return false;
    }
    s.assign(in.data() + 4, n);
    in.remove_prefix(4 + std::size_t{n});
    return true;
}

} // namespace

std::string empty_frame(msg type, std::uint64_t id) {
    std::string f(header_size, '\0');
    finish_frame(f, type, id);
    return f;
}

std::string init_frame(std::uint64_t max_message, std::string_view initializer) {
    std::string f(header_size + 8, '\0');
    put_u64(f.data() + header_size, max_message);
    f.append(initializer);
    finish_frame(f, msg::init, 0);
    return f;
}

void put_error_report(std::string& out, const char* mangled, std::string_view readable,
                      std::string_view what) {
    put_str(out, mangled);
    put_str(out, readable);
    put_str(out, what);
}

bool get_error_report(std::string_view payload, error_report& r) {
    return get_str(payload, r.mangled) && get_str(payload, r.readable) && get_str(payload, r.what);
}

std::exception_ptr remote_exception(const std::string& fn, std::string_view report) {
    error_report r;
    if (!get_error_report(report, r)) {
        return std::make_exception_ptr(
            remote_error(fn, "unknown", "malformed error report from the worker"));
    }
    if (remote_exception_factory make = find_remote_exception(r.mangled)) {
        try {
            return make(r.what);
        } catch (...) {
            return std::current_exception();
        }
    }
    return std::make_exception_ptr(remote_error(fn, r.readable, r.what));
}

bool split_call(std::string_view payload, std::string_view& key, std::string_view& args) noexcept {
    if (payload.size() < 2) {
        return false;
    }
    std::size_t n = static_cast<unsigned char>(payload[0]) |
                    (static_cast<std::size_t>(static_cast<unsigned char>(payload[1])) << 8);
    if (payload.size() - 2 < n) {
        return false;
    }
    key = payload.substr(2, n);
    args = payload.substr(2 + n);
    return true;
}

} // namespace weft::detail::pp
