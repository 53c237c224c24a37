#pragma once

// What a redis pool's callers and workers agree on in Redis (private): the keys of a queue, the
// fields of a call entry and of a result entry, and the error reports results carry (the process
// pool's format, so that exceptions cross the same way). Both ends read and write them here.
//
// For a queue Q (the {Q} hash tag keeps a queue's keys in one Redis Cluster slot):
//   weft:{Q}:calls          stream of calls; consumer group "workers"
//       c caller id | n call number | r result stream | m max attempts | f function | a payload
//   weft:{Q}:res:<caller>   stream of one caller's results (expires after result_ttl unread)
//       n call number | k kind ('o' value, 'e' error report, 'd' dead-lettered) | v bytes
//   weft:{Q}:dead           stream of dead-lettered calls: the call's fields and its attempts
//   weft:{Q}:cancel         channel: "<caller>:<n>" for each call its awaiter gave up

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

struct redisReply;

namespace weft::detail::rp {

inline constexpr std::string_view group_name = "workers";

/// Result kinds (field k).
inline constexpr char result_value = 'o';
inline constexpr char result_error = 'e';
inline constexpr char result_dead = 'd';

/// The keys of one queue.
struct queue_keys {
    /// @throws std::invalid_argument for an empty or over-long name, or one with braces,
    /// spaces or control characters.
    explicit queue_keys(const std::string& queue);
    std::string prefix; ///< "weft:{Q}:"
    std::string calls;
    std::string dead;
    std::string cancel;
    [[nodiscard]] std::string results(std::string_view caller) const {
        return prefix + "res:" + std::string(caller);
    }
};

/// The cancel channel's message for a call.
[[nodiscard]] std::string cancel_token(std::string_view caller, std::uint64_t seq);

/// The error report (process pool format) of the exception e, as a worker sends it: a remote_error
/// keeps the original type's name, any other exception its dynamic type (so that a type
/// registered with WEFT_REMOTE_EXCEPTION crosses as itself).
[[nodiscard]] std::string error_report_of(std::exception_ptr e);

/// The value of field `name` in an entry's flat [field, value, ...] reply array; empty when absent.
[[nodiscard]] std::string_view entry_field(const redisReply* fields,
                                           std::string_view name) noexcept;

/// Reads an unsigned decimal; false unless s is one that fits.
bool parse_u64(std::string_view s, std::uint64_t& v) noexcept;

} // namespace weft::detail::rp
