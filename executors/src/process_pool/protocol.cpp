// The process pool's frame codec (see protocol.hpp for the format): the encoders the parent and
// the worker use to build frames and error reports, and the one decoder both ends read with.

#include "protocol.hpp"

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

decode_status decode_frame(std::string_view in, std::size_t limit, frame& f,
                           std::size_t& used) noexcept {
    if (in.size() < header_size) {
        return decode_status::partial;
    }
    const std::uint32_t len = get_u32(in.data());
    if (len < header_size - 4 || len > limit) {
        return decode_status::malformed;
    }
    if (in.size() - 4 < len) {
        return decode_status::partial;
    }
    f.type = static_cast<msg>(in[4]);
    f.id = get_u64(in.data() + 5);
    f.payload = in.substr(header_size, len - (header_size - 4));
    used = 4 + std::size_t{len};
    return decode_status::whole;
}

bool get_error_report(std::string_view payload, error_report& r) {
    return get_str(payload, r.mangled) && get_str(payload, r.readable) && get_str(payload, r.what);
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
