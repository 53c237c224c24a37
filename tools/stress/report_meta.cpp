// run_meta (report_meta.hpp): the command line read back from /proc/self/cmdline (so that no
// caller has to pass argv down), shell-quoted; the time in UTC; the host name.
#include "report_meta.hpp"

#include <unistd.h>

#include <ctime>
#include <fstream>
#include <iterator>

namespace weft::stress {

std::string shell_join(const std::vector<std::string>& args) {
    std::string out;
    for (const std::string& a : args) {
        out += out.empty() ? "" : " ";
        const bool plain =
            !a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789-_./:=,+%@") == std::string::npos;
        if (plain) {
            out += a;
            continue;
        }
        out += '\'';
        for (char ch : a) {
            out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
        }
        out += '\'';
    }
    return out;
}

std::string utc_iso8601(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

run_meta current_meta() {
    run_meta m;
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    const std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> args;
    for (std::size_t start = 0; start < raw.size();) {
        std::size_t end = raw.find('\0', start);
        if (end == std::string::npos) {
            end = raw.size();
        }
        args.push_back(raw.substr(start, end - start));
        start = end + 1;
    }
    if (!args.empty()) {
        // The program as a person names it: "weft", not the path it was started from.
        const std::size_t slash = args[0].rfind('/');
        if (slash != std::string::npos) {
            args[0].erase(0, slash + 1);
        }
    }
    m.command_line = shell_join(args);
    m.timestamp = utc_iso8601(std::time(nullptr));
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) {
        m.host = host;
    }
    return m;
}

} // namespace weft::stress
