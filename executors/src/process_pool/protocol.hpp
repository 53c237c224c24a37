#pragma once

// The wire formats of the process pool (private).
//
// Parent <-> worker, over a SOCK_STREAM socketpair: frames of
//   u32 length (of what follows) | u8 type | u64 call id | payload
// init (parent->worker, first frame): u64 max_message | [u16 key length | key | arguments]
// call: u16 key length | key | arguments (cereal binary of the parameter tuple)
// cancel: nothing (skip the call with this id if it has not started)
// ready: nothing; ok: the result (cereal binary); skipped: nothing
// error, init_failed: str mangled type | str readable type | str what (str = u32 length | bytes)
//
// Parent <-> fork server, over a SOCK_SEQPACKET socketpair: fixed-size fs_msg records; a spawn
// request carries the worker's end of its socketpair as SCM_RIGHTS.

#include <cstddef>
#include <cstdint>
#include <cstring>
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

/// Fills in the header of a frame whose first header_size bytes were reserved.
inline void finish_frame(std::string& f, msg type, std::uint64_t id) noexcept {
    put_u32(f.data(), static_cast<std::uint32_t>(f.size() - 4));
    f[4] = static_cast<char>(type);
    put_u64(f.data() + 5, id);
}

inline void put_str(std::string& out, std::string_view s) {
    char len[4];
    put_u32(len, static_cast<std::uint32_t>(s.size()));
    out.append(len, 4);
    out.append(s);
}

inline bool get_str(std::string_view& in, std::string& s) {
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

/// Splits "u16 key length | key | arguments".
inline bool split_call(std::string_view payload, std::string_view& key, std::string_view& args) {
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

/// The parent's end of the fork server's socket, starting a fork server when this process has
/// none (a forked child of the process that called weft::init).
/// @throws invalid_state_error when weft::init was not called.
int fork_server_socket();

/// Runs a worker on fd until its parent closes it.
[[noreturn]] void worker_main(int fd);

} // namespace weft::detail::pp
