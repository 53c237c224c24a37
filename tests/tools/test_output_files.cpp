// Report paths checked before the sweep: a missing directory, a directory given as the file, an
// existing file (neither created nor truncated by the check), and the write's own errors.

#include "output_files.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

using namespace weft::stress;

namespace {

/// A fresh directory under $TMPDIR (or /tmp), removed with its files at the end.
struct temp_dir {
    std::string path;
    temp_dir() {
        const char* base = std::getenv("TMPDIR");
        std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/weft-out-XXXXXX";
        path = ::mkdtemp(pattern.data()) != nullptr ? pattern : "";
    }
    ~temp_dir() { (void)std::system(("rm -rf '" + path + "'").c_str()); }
};

std::string read(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

TEST(stress_output_files, a_missing_directory_is_named_with_the_reason) {
    const std::string err = check_writable("--html", "/nonexistent/x.html");
    EXPECT_NE(err.find("--html /nonexistent/x.html"), std::string::npos) << err;
    EXPECT_NE(err.find("No such file or directory"), std::string::npos) << err;
}

TEST(stress_output_files, a_directory_is_not_a_report_file) {
    temp_dir d;
    ASSERT_FALSE(d.path.empty());
    const std::string err = check_writable("--json", d.path);
    EXPECT_NE(err.find("Is a directory"), std::string::npos) << err;
    EXPECT_NE(check_writable("--csv", d.path + "/file/x.csv").find("No such file or directory"),
              std::string::npos);
}

TEST(stress_output_files, the_check_creates_and_truncates_nothing) {
    temp_dir d;
    ASSERT_FALSE(d.path.empty());
    const std::string fresh = d.path + "/new.json";
    EXPECT_EQ(check_writable("--json", fresh), "");
    EXPECT_NE(::access(fresh.c_str(), F_OK), 0);                   // still not there
    EXPECT_EQ(check_writable("--json", "relative-name.json"), ""); // in the working directory

    const std::string old = d.path + "/old.csv";
    std::ofstream(old) << "yesterday's report";
    EXPECT_EQ(check_writable("--csv", old), "");
    EXPECT_EQ(read(old), "yesterday's report");

    EXPECT_EQ(write_text_file(old, "today's report"), "");
    EXPECT_EQ(read(old), "today's report");
}

TEST(stress_output_files, write_errors_name_the_path_and_the_reason) {
    const std::string err = write_text_file("/nonexistent/x.html", "<html>");
    EXPECT_EQ(err, "cannot write /nonexistent/x.html: No such file or directory");
    if (::access("/dev/full", W_OK) == 0) {
        EXPECT_EQ(write_text_file("/dev/full", std::string(1 << 16, 'x')),
                  "cannot write /dev/full: No space left on device");
    }
}
