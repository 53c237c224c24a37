// What may cross to a worker, checked at compile time (remote_invocable: the same conditions
// run_in_executor(process_pool&, ...) static_asserts with a message each), and the registry.

#include "remote_functions.hpp"

#include <weft/executors/process_pool.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace pp_test;

namespace {

struct not_serialisable {
    int fd = -1;
};

int takes_not_serialisable(not_serialisable) {
    return 0;
}
not_serialisable returns_not_serialisable() {
    return {};
}
void takes_mutable_ref(std::string& s) {
    s += "!";
}
int takes_pointer(const int* p) {
    return *p;
}
int takes_const_ref(const std::string& s) {
    return static_cast<int>(s.size());
}

} // namespace

// A process pool is an executor like the others.
static_assert(weft::executor<weft::process_pool>);

// Functions and partials of them, with matching, serialisable arguments, cross.
static_assert(weft::remote_invocable<decltype(&add), int, int>);
static_assert(weft::remote_invocable<decltype(add), int, int>); // a function reference decays
static_assert(weft::remote_invocable<decltype(&join), const char*, std::string>);
static_assert(weft::remote_invocable<decltype(&mirror), point>);
static_assert(weft::remote_invocable<decltype(&takes_const_ref), std::string>);
static_assert(weft::remote_invocable<decltype(weft::partial(&add, 1)), int>);
static_assert(weft::remote_invocable<decltype(weft::partial(&add, 1, 2))>);

// Lambdas and function objects do not, captures or not.
inline auto capturing = [n = 1](int x) { return x + n; };
inline auto captureless = [](int x) { return x; };
static_assert(!weft::remote_invocable<decltype(capturing), int>);
static_assert(!weft::remote_invocable<decltype(captureless), int>);
static_assert(!weft::remote_invocable<std::function<int(int)>, int>);
static_assert(!weft::remote_invocable<decltype(weft::partial(capturing, 1))>);

// Nor non-serialisable parameters or results, non-const references, raw pointers.
static_assert(!weft::remote_invocable<decltype(&takes_not_serialisable), not_serialisable>);
static_assert(!weft::remote_invocable<decltype(&returns_not_serialisable)>);
static_assert(!weft::remote_invocable<decltype(&takes_mutable_ref), std::string>);
static_assert(!weft::remote_invocable<decltype(&takes_pointer), const int*>);
static_assert(!weft::remote_invocable<std::unique_ptr<int> (*)()>);

// Wrong argument counts or types.
static_assert(!weft::remote_invocable<decltype(&add), int>);
static_assert(!weft::remote_invocable<decltype(&add), int, int, int>);
static_assert(!weft::remote_invocable<decltype(&add), std::string, int>);
static_assert(!weft::remote_invocable<decltype(weft::partial(&add, 1, 2)), int>);

// What a call returns.
static_assert(std::is_same_v<weft::remote_result_t<decltype(&mirror), point>, point>);
static_assert(std::is_same_v<weft::remote_result_t<decltype(weft::partial(&add, 1)), int>, int>);

TEST(process_pool_remote, registered_functions_have_their_written_name_as_key) {
    using weft::detail::remote_fn_id;
    EXPECT_EQ(weft::detail::remote_key_of(reinterpret_cast<remote_fn_id>(&add), "add"),
              "pp_test::add");
    EXPECT_NE(weft::detail::find_remote("pp_test::squares"), nullptr);
    EXPECT_EQ(weft::detail::find_remote("pp_test::nope"), nullptr);
}

TEST(process_pool_remote, an_unregistered_function_is_named_in_the_error) {
    using weft::detail::remote_fn_id;
    try {
        (void)weft::detail::remote_key_of(reinterpret_cast<remote_fn_id>(&not_registered),
                                          typeid(&not_registered).name());
        FAIL() << "expected remote_registration_error";
    } catch (const weft::remote_registration_error& e) {
        EXPECT_NE(std::string(e.what()).find("int (*)(int)"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("WEFT_REMOTE"), std::string::npos) << e.what();
    }
}

TEST(process_pool_remote, an_initializer_is_a_registered_call) {
    weft::remote_call none;
    EXPECT_TRUE(none.empty());
    weft::remote_call init = &init_ok;
    EXPECT_FALSE(init.empty());
    EXPECT_EQ(init.name(), "pp_test::init_ok");
    weft::remote_call bound = weft::partial(&initialized_value, 5);
    EXPECT_EQ(bound.name(), "pp_test::initialized_value");
    EXPECT_THROW((weft::remote_call{weft::partial(&not_registered, 1)}),
                 weft::remote_registration_error);
}

TEST(process_pool_remote, values_round_trip_through_the_archive) {
    point p{3, -4, "here"};
    std::string bytes;
    weft::detail::save_to(bytes, p);
    point q;
    weft::detail::load_from(bytes, q);
    EXPECT_EQ(p, q);
    point r;
    EXPECT_ANY_THROW(weft::detail::load_from(std::string_view(bytes).substr(0, 3), r));
}
