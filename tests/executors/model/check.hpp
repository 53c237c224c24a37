#pragma once

// gtest helpers for the model-checked tests: explore a model, record what was explored, and
// expect the protocol to hold (or a broken variant of it to fail, with the kind of failure).

#include "explorer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace weft_model {

/// Explores m and records its counts as test properties (prefix_states, ...).
template <class Model>
result explore_recorded(const Model& m, const std::string& prefix) {
    result r = explore(m);
    ::testing::Test::RecordProperty(prefix + "_states", static_cast<int>(r.states));
    ::testing::Test::RecordProperty(prefix + "_edges", static_cast<int>(r.edges));
    return r;
}

/// The protocol holds in every interleaving; `acyclic`: every schedule also ends.
template <class Model>
void expect_holds(const Model& m, const std::string& prefix, bool acyclic = true) {
    const result r = explore_recorded(m, prefix);
    EXPECT_TRUE(r.ok()) << prefix << ": " << r.failure;
    EXPECT_GT(r.finished, 0U) << prefix;
    if (acyclic) {
        EXPECT_TRUE(r.acyclic) << prefix << ": some schedule can loop";
    }
}

/// A broken variant fails, with a failure that starts with `what`; returns the trace.
template <class Model>
std::string expect_caught(const Model& m, const std::string& what) {
    const result r = explore(m);
    EXPECT_FALSE(r.ok()) << "the explorer missed a broken variant (" << what << ")";
    EXPECT_EQ(r.failure.rfind(what, 0), 0U) << r.failure;
    return r.failure;
}

inline constexpr const char* stuck = "stuck";

} // namespace weft_model
