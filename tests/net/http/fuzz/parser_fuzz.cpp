// libFuzzer entry point over weft's HTTP request parser (net/src/http/parser*.cpp), compiled alone
// by run.sh. The first byte picks how the input is split into reads, so incremental parsing is
// exercised as well as whole-buffer parsing; pipelined requests are parsed one after another.

#include "parser.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace weft::http::detail;

namespace {

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::size_t step = 1 + (data[0] % 16) * (data[0] % 16); // 1..226 bytes per read
    const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

    parser_limits limits;
    limits.max_request_line = 256;
    limits.max_header_bytes = 1024;
    limits.max_headers = 16;
    limits.max_body_size = 4096;
    limits.max_chunk_extension = 64;

    head_parser parser(limits);
    chunked_decoder chunks(limits);
    request_head head;
    std::string body;

    std::size_t start = 0;     // first byte of the current request
    std::size_t available = 0; // bytes "received" so far
    for (int requests = 0; requests < 64 && start < input.size(); ++requests) {
        parser.reset();
        parse_status st = parse_status::need_more;
        while (st == parse_status::need_more) {
            if (available < input.size()) {
                available = std::min(input.size(), available + step);
            }
            st = parser.parse(input.substr(start, available - start), head);
            if (st == parse_status::need_more && available == input.size()) {
                return 0;
            }
        }
        if (st == parse_status::error) {
            const int s = parser.error().status;
            check(s == 400 || s == 413 || s == 414 || s == 417 || s == 431 || s == 501 || s == 505);
            return 0;
        }
        check(head.consumed > 0 && head.consumed <= available - start);
        check(!head.method.empty() && !head.target.empty());
        check(head.fields.size() <= limits.max_headers);
        const auto inside = [&](std::string_view v) {
            return v.data() >= input.data() && v.data() + v.size() <= input.data() + input.size();
        };
        // No line terminator or NUL survives into what the parser hands on (a bare CR or LF
        // that did would be a line boundary some other parser sees and weft does not).
        const auto clean = [](std::string_view v) {
            return v.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
        };
        check(clean(head.method) && clean(head.target) && inside(head.target));
        check(head.authority.data() == nullptr ||
              (inside(head.authority) && clean(head.authority)));
        check(head.version_minor == 0 || head.version_minor == 1);
        for (const field_view& f : head.fields) {
            check(!f.name.empty());
            check(inside(f.name) && inside(f.value) && clean(f.name) && clean(f.value));
        }
        start += head.consumed;
        body.clear();
        if (head.framing == body_framing::content_length) {
            check(head.content_length <= limits.max_body_size);
            if (input.size() - start < head.content_length) {
                return 0;
            }
            start += head.content_length;
        } else if (head.framing == body_framing::chunked) {
            chunks.reset();
            for (;;) {
                if (available <= start) {
                    if (available == input.size()) {
                        return 0;
                    }
                    available = std::min(input.size(), available + step);
                }
                std::size_t used = 0;
                st = chunks.feed(input.substr(start, available - start), used, body);
                check(used <= available - start);
                start += used;
                check(body.size() <= limits.max_body_size);
                if (st == parse_status::error) {
                    const int s = chunks.error().status;
                    check(s == 400 || s == 413 || s == 431);
                    return 0;
                }
                if (st == parse_status::complete) {
                    break;
                }
                check(start == available);
            }
        }
        if (available < start) {
            available = start;
        }
    }
    return 0;
}
