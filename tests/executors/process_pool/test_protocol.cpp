// The process pool's frame codec (executors/src/process_pool/protocol.hpp, private): what one
// end encodes, the other decodes; partial input waits, lengths out of range are malformed. And
// the input buffer both ends decode from (read_buffer.hpp).

#include "protocol.hpp"
#include "read_buffer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace pp = weft::detail::pp;

namespace {

constexpr std::size_t no_limit = UINT32_MAX;

} // namespace

TEST(process_pool_protocol, an_empty_frame_decodes_to_its_type_and_id) {
    const std::string f = pp::empty_frame(pp::msg::cancel, 42);
    ASSERT_EQ(f.size(), pp::header_size);
    pp::frame out{};
    std::size_t used = 0;
    ASSERT_EQ(pp::decode_frame(f, no_limit, out, used), pp::decode_status::whole);
    EXPECT_EQ(out.type, pp::msg::cancel);
    EXPECT_EQ(out.id, 42U);
    EXPECT_TRUE(out.payload.empty());
    EXPECT_EQ(used, f.size());
}

TEST(process_pool_protocol, the_init_frame_carries_max_message_and_the_initializer) {
    const std::string initializer = std::string("\x03\x00", 2) + "key" + "args";
    const std::string f = pp::init_frame(1234, initializer);
    pp::frame out{};
    std::size_t used = 0;
    ASSERT_EQ(pp::decode_frame(f, no_limit, out, used), pp::decode_status::whole);
    EXPECT_EQ(out.type, pp::msg::init);
    ASSERT_GE(out.payload.size(), 8U);
    EXPECT_EQ(pp::get_u64(out.payload.data()), 1234U);
    EXPECT_EQ(out.payload.substr(8), initializer);
}

TEST(process_pool_protocol, frames_back_to_back_decode_one_at_a_time) {
    std::string body(pp::header_size, '\0');
    body += "result";
    pp::finish_frame(body, pp::msg::ok, 7);
    const std::string two = body + pp::empty_frame(pp::msg::ready, 0);
    pp::frame out{};
    std::size_t used = 0;
    ASSERT_EQ(pp::decode_frame(two, no_limit, out, used), pp::decode_status::whole);
    EXPECT_EQ(out.type, pp::msg::ok);
    EXPECT_EQ(out.id, 7U);
    EXPECT_EQ(out.payload, "result");
    ASSERT_EQ(used, body.size());
    ASSERT_EQ(pp::decode_frame(std::string_view(two).substr(used), no_limit, out, used),
              pp::decode_status::whole);
    EXPECT_EQ(out.type, pp::msg::ready);
}

TEST(process_pool_protocol, a_frame_cut_short_is_partial) {
    std::string body(pp::header_size, '\0');
    body += "0123456789";
    pp::finish_frame(body, pp::msg::ok, 1);
    pp::frame out{};
    std::size_t used = 0;
    for (std::size_t n = 0; n < body.size(); ++n) {
        EXPECT_EQ(pp::decode_frame(std::string_view(body).substr(0, n), no_limit, out, used),
                  pp::decode_status::partial)
            << n << " bytes";
    }
}

TEST(process_pool_protocol, lengths_out_of_range_are_malformed) {
    std::string shorter(pp::header_size, '\0');
    pp::put_u32(shorter.data(), static_cast<std::uint32_t>(pp::header_size - 5));
    pp::frame out{};
    std::size_t used = 0;
    EXPECT_EQ(pp::decode_frame(shorter, no_limit, out, used), pp::decode_status::malformed);

    std::string body(pp::header_size, '\0');
    body += std::string(100, 'x');
    pp::finish_frame(body, pp::msg::ok, 1);
    const std::size_t len = body.size() - 4;
    EXPECT_EQ(pp::decode_frame(body, len, out, used), pp::decode_status::whole);
    // Malformed as soon as the header shows it, before the payload arrives.
    EXPECT_EQ(
        pp::decode_frame(std::string_view(body).substr(0, pp::header_size), len - 1, out, used),
        pp::decode_status::malformed);
}

TEST(process_pool_protocol, an_error_report_round_trips) {
    std::string payload;
    pp::put_error_report(payload, "St12out_of_range", "std::out_of_range", "index 3");
    pp::error_report r;
    ASSERT_TRUE(pp::get_error_report(payload, r));
    EXPECT_EQ(r.mangled, "St12out_of_range");
    EXPECT_EQ(r.readable, "std::out_of_range");
    EXPECT_EQ(r.what, "index 3");
}

TEST(process_pool_protocol, a_cut_error_report_keeps_what_was_read) {
    std::string payload;
    pp::put_error_report(payload, "St12out_of_range", "std::out_of_range", "index 3");
    pp::error_report r;
    EXPECT_FALSE(pp::get_error_report(std::string_view(payload).substr(0, payload.size() - 1), r));
    EXPECT_EQ(r.mangled, "St12out_of_range");
    EXPECT_EQ(r.readable, "std::out_of_range");
    EXPECT_EQ(r.what, "");
}

TEST(process_pool_protocol, a_call_payload_splits_into_key_and_arguments) {
    const std::string payload = std::string("\x03\x00", 2) + "add" + "ARGS";
    std::string_view key;
    std::string_view args;
    ASSERT_TRUE(pp::split_call(payload, key, args));
    EXPECT_EQ(key, "add");
    EXPECT_EQ(args, "ARGS");
    EXPECT_FALSE(pp::split_call(std::string_view(payload).substr(0, 4), key, args));
    EXPECT_FALSE(pp::split_call(std::string_view(payload).substr(0, 1), key, args));
}

TEST(process_pool_protocol, the_read_buffer_keeps_what_is_not_consumed_and_reuses_its_room) {
    pp::read_buffer in;
    EXPECT_TRUE(in.data().empty());
    char* room = in.room();
    ASSERT_GE(in.room_size(), pp::read_buffer::chunk);
    std::memcpy(room, "frame1frame2", 12);
    in.commit(12);
    EXPECT_EQ(in.data(), "frame1frame2");
    in.consume(6);
    EXPECT_EQ(in.data(), "frame2");
    // The next read goes right after what is kept, with a chunk of room again.
    room = in.room();
    EXPECT_EQ(room, in.data().data() + in.data().size());
    ASSERT_GE(in.room_size(), pp::read_buffer::chunk);
    std::memset(room, 'x', pp::read_buffer::chunk);
    in.commit(pp::read_buffer::chunk);
    EXPECT_EQ(in.data().size(), 6 + pp::read_buffer::chunk);
    EXPECT_EQ(in.data().substr(0, 7), "frame2x");
    in.clear();
    EXPECT_TRUE(in.data().empty());
}
