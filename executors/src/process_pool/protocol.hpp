#pragma once

// The wire formats of the process pool, for both ends (private): every frame is encoded and
// decoded here, so that the parent and the worker read the same bytes the same way.
//
// Parent <-> worker, over a SOCK_STREAM socketpair: frames of
//   u32 length (of what follows) | u8 type | u64 call id | payload
// init (parent->worker, first frame): u64 max_message | [u16 key length | key | arguments]
// call: u16 key length | key | arguments (cereal binary of the parameter tuple)
// cancel: nothing (skip the call with this id if it has not started)
// ready: nothing; ok: the result (cereal binary); skipped: nothing
// error, init_failed: an error report, str mangled type | str readable type | str what
// (str = u32 length | bytes)
//
// Parent <-> fork server, over a SOCK_SEQPACKET socketpair: fixed-size fs_msg records; a spawn
// request carries the worker's end of its socketpair as SCM_RIGHTS.
//
// Everything private to the process pool lives in weft::detail::pp.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>

namespace weft::detail::pp {

inline constexpr std::size_t header_size = 13;

enum class msg : std::uint8_t {
    init = 1,
    call = 2,
    cancel = 3,
    ready = 10,
    ok = 11,
    error = 12,
    skipped = 13,
    init_failed = 14,
};

inline void put_u32(char* p, std::uint32_t v) noexcept {
    std::memcpy(p, &v, 4);
}
inline void put_u64(char* p, std::uint64_t v) noexcept {
    std::memcpy(p, &v, 8);
}
inline std::uint32_t get_u32(const char* p) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
inline std::uint64_t get_u64(const char* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

// ---- encoding -----------------------------------------------------------------------------------

/// Fills in the header of a frame whose first header_size bytes were reserved.
inline void finish_frame(std::string& f, msg type, std::uint64_t id) noexcept {
    put_u32(f.data(), static_cast<std::uint32_t>(f.size() - 4));
    f[4] = static_cast<char>(type);
    put_u64(f.data() + 5, id);
}

/// A whole frame without payload (cancel, ready, skipped).
std::string empty_frame(msg type, std::uint64_t id);

/// The init frame a pool sends each new worker first: its max_message and the initializer's
/// payload (empty: none).
std::string init_frame(std::uint64_t max_message, std::string_view initializer);

/// Appends an error report to out: the exception's mangled type, its readable type and what().
void put_error_report(std::string& out, const char* mangled, std::string_view readable,
                      std::string_view what);

// ---- decoding -----------------------------------------------------------------------------------

/// One frame as read: type, call id and payload (a view into the reader's buffer).
struct frame {
    msg type;
    std::uint64_t id;
    std::string_view payload;
};

enum class decode_status {
    whole,     ///< f holds the first frame of the input; `used` is its size on the wire
    partial,   ///< the first frame has not fully arrived
    malformed, ///< its length is shorter than a header or longer than the limit
};

/// Decodes the first frame of in; payloads over `limit` bytes (plus header) are malformed.
/// (Inline: both ends run it once per frame.)
inline decode_status decode_frame(std::string_view in, std::size_t limit, frame& f,
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
    f.payload = std::string_view(in.data() + header_size, len - (header_size - 4));
    used = 4 + std::size_t{len};
    return decode_status::whole;
}

/// An error report (error and init_failed frames).
struct error_report {
    std::string mangled;
    std::string readable;
    std::string what;
};

/// Reads an error report; false when it is cut short (the fields read so far are kept).
bool get_error_report(std::string_view payload, error_report& r);

/// What an error report from a worker becomes for the awaiter of fn: the registered exception
/// type when there is one (WEFT_REMOTE_EXCEPTION), else remote_error.
std::exception_ptr remote_exception(const std::string& fn, std::string_view report);

/// Splits "u16 key length | key | arguments".
bool split_call(std::string_view payload, std::string_view& key, std::string_view& args) noexcept;

// ---- the fork server's records ------------------------------------------------------------------

struct fs_msg {
    std::uint32_t type = 0;
    std::int32_t pid = 0;
    std::uint64_t token = 0;
    std::int32_t arg = 0;
    std::int32_t pad = 0;
};

enum fs_type : std::uint32_t {
    fs_spawn_fork = 1,    // parent -> server: fork a worker (fd attached); token names it
    fs_spawn_exec = 2,    // same, re-executing the program
    fs_kill = 3,          // parent -> server: send signal arg to pid, if it is still one of ours
    fs_spawned = 10,      // server -> parent: token's worker is pid
    fs_spawn_failed = 11, // server -> parent: fork failed with errno arg
    fs_exited = 12,       // server -> parent: pid ended with wait status arg (reaped)
};

} // namespace weft::detail::pp
