// The broker URL forms (url.hpp): what each part becomes, and the messages of bad ones, which
// never repeat a password.

#include "url.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

using weft::detail::rp::parse_redis_url;

TEST(RedisUrl, TcpFormsAndDefaults) {
    auto a = parse_redis_url("redis://broker.internal", "", "");
    EXPECT_FALSE(a.unix_socket);
    EXPECT_EQ(a.host, "broker.internal");
    EXPECT_EQ(a.port, 6379);
    EXPECT_EQ(a.db, 0);
    EXPECT_TRUE(a.password.empty());
    a = parse_redis_url("redis://app:p%40ss%3Aw@10.0.0.5:6380/3", "", "");
    EXPECT_EQ(a.user, "app");
    EXPECT_EQ(a.password, "p@ss:w");
    EXPECT_EQ(a.host, "10.0.0.5");
    EXPECT_EQ(a.port, 6380);
    EXPECT_EQ(a.db, 3);
    EXPECT_EQ(a.where(), "10.0.0.5:6380");
    a = parse_redis_url("redis://secret@[::1]:7000", "", "");
    EXPECT_EQ(a.host, "::1");
    EXPECT_EQ(a.password, "secret");
    EXPECT_EQ(a.where(), "[::1]:7000");
    a = parse_redis_url("redis://u:p@h", "other", "better");
    EXPECT_EQ(a.user, "other");
    EXPECT_EQ(a.password, "better");
}

TEST(RedisUrl, UnixSockets) {
    auto a = parse_redis_url("unix:///run/redis/redis.sock?db=2", "", "");
    EXPECT_TRUE(a.unix_socket);
    EXPECT_EQ(a.path, "/run/redis/redis.sock");
    EXPECT_EQ(a.db, 2);
    EXPECT_EQ(a.where(), "/run/redis/redis.sock");
}

TEST(RedisUrl, BadOnesSayWhatIsWrongWithoutThePassword) {
    const char* bad[] = {"http://h",        "redis://",        "redis://h:0",     "redis://h:99999",
                         "redis://h:port",  "redis://h/x",     "redis://[::1",    "unix://relative",
                         "unix:///s?dbx=1", "redis://u:p%4@h", "rediss://h:6379", "h:6379"};
    for (const char* url : bad) {
        try {
            (void)parse_redis_url(url, "", "");
            ADD_FAILURE() << url << " was accepted";
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("bad broker URL"), std::string::npos) << url;
        }
    }
    try {
        (void)parse_redis_url("ftp://user:hunter2@host", "", "");
        ADD_FAILURE();
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
    }
}
