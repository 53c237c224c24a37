#pragma once

// An exhaustive interleaving explorer for small models of weft's hand-off protocols (test-only,
// no dependencies). A model is a few threads stepping over shared state; each step is one atomic
// action of the real code (a load, a store, a read-modify-write, a fence, a lock). The explorer
// visits every state that any interleaving of those steps reaches, breadth first (so that the
// trace to a failing state is a shortest one), and checks:
//   - safety: model.violation(s) is null in every reachable state s;
//   - no deadlock, no lost wake-up: every state with no step left is a finished one
//     (model.finished(s)), not one where a thread waits for a wake-up that never comes;
//   - no trap: from every reachable state a finished state can still be reached, so that a run
//     that can only loop (a livelock) fails too;
// and reports whether the state graph is acyclic: then every schedule, fair or not, finishes.
//
// A model provides:
//   using state = ...;   trivially copyable, no padding (states are compared and hashed as bytes)
//   state initial() const;
//   void successors(const state& s, Emit&& emit) const;   emit(next_state, step_label) per step
//   const char* violation(const state& s) const;          null when s is fine
//   bool finished(const state& s) const;
//   std::string thread_name(int thread) const;
//   std::string describe(const state& s) const;           for the end of a trace
// and may provide
//   void canonical(state& s) const;   maps states that differ only by a renaming of like
//                                     threads to one form (symmetry reduction)
// States are told apart by their canonical form; each stored state is the one first reached, so
// that a trace's steps name threads consistently.

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <vector>

namespace weft_model {

/// What one step did, for traces: "<thread>: <what> <object> <value>".
struct step_label {
    static constexpr int no_value = INT_MIN;
    int thread = 0;
    const char* what = "";
    const char* object = "";
    int value = no_value;
};

/// What an exploration found.
struct result {
    std::size_t states = 0;
    std::size_t edges = 0;
    std::size_t finished = 0; ///< reachable states with no step left (all of them good if ok())
    bool acyclic = false;     ///< every schedule ends (no step sequence returns to a state)
    std::string failure;      ///< empty when every check passed; else what failed, and a trace
    [[nodiscard]] bool ok() const noexcept { return failure.empty(); }
};

namespace detail {

/// The explored graph: states in breadth-first order, each with its parent and the step from it,
/// and every edge (targets of state i: targets[first[i] .. first[i + 1])).
template <class State>
struct graph {
    std::vector<State> states;
    std::vector<std::uint32_t> parent;
    std::vector<step_label> via;
    std::vector<std::uint32_t> first;
    std::vector<std::uint32_t> targets;
};

template <class State>
std::string_view bytes(const State& s) noexcept {
    return {reinterpret_cast<const char*>(&s), sizeof(State)};
}

/// The steps from the initial state to state i, one per line, then a description of state i.
template <class Model, class State>
std::string trace(const Model& m, const graph<State>& g, std::uint32_t i) {
    std::vector<std::uint32_t> path;
    for (std::uint32_t k = i; k != 0; k = g.parent[k]) {
        path.push_back(k);
    }
    std::string out;
    int n = 0;
    for (auto it = path.rbegin(); it != path.rend(); ++it) {
        const step_label& l = g.via[*it];
        out += "  " + std::to_string(++n) + ". " + m.thread_name(l.thread) + ": " + l.what;
        if (*l.object != '\0') {
            out += std::string(" ") + l.object;
        }
        if (l.value != step_label::no_value) {
            out += " " + std::to_string(l.value);
        }
        out += "\n";
    }
    return out + "  state: " + m.describe(g.states[i]) + "\n";
}

/// Whether the graph has no cycle (Kahn's algorithm).
template <class State>
bool acyclic(const graph<State>& g) {
    const std::size_t n = g.states.size();
    std::vector<std::uint32_t> indegree(n, 0);
    for (std::uint32_t t : g.targets) {
        ++indegree[t];
    }
    std::vector<std::uint32_t> ready;
    for (std::uint32_t i = 0; i < n; ++i) {
        if (indegree[i] == 0) {
            ready.push_back(i);
        }
    }
    std::size_t done = 0;
    while (!ready.empty()) {
        const std::uint32_t i = ready.back();
        ready.pop_back();
        ++done;
        for (std::uint32_t e = g.first[i]; e < g.first[i + 1]; ++e) {
            if (--indegree[g.targets[e]] == 0) {
                ready.push_back(g.targets[e]);
            }
        }
    }
    return done == n;
}

/// The first state (in breadth-first order) from which no finished state can be reached, or -1.
template <class State>
std::int64_t first_trap(const graph<State>& g, const std::vector<bool>& good_end) {
    const std::size_t n = g.states.size();
    std::vector<std::uint32_t> rfirst(n + 1, 0);
    for (std::uint32_t t : g.targets) {
        ++rfirst[t + 1];
    }
    for (std::size_t i = 0; i < n; ++i) {
        rfirst[i + 1] += rfirst[i];
    }
    std::vector<std::uint32_t> sources(g.targets.size());
    std::vector<std::uint32_t> fill(rfirst.begin(), rfirst.end() - 1);
    for (std::uint32_t i = 0; i < n; ++i) {
        for (std::uint32_t e = g.first[i]; e < g.first[i + 1]; ++e) {
            sources[fill[g.targets[e]]++] = i;
        }
    }
    std::vector<bool> can_end(good_end);
    std::vector<std::uint32_t> work;
    for (std::uint32_t i = 0; i < n; ++i) {
        if (can_end[i]) {
            work.push_back(i);
        }
    }
    while (!work.empty()) {
        const std::uint32_t i = work.back();
        work.pop_back();
        for (std::uint32_t e = rfirst[i]; e < rfirst[i + 1]; ++e) {
            if (!can_end[sources[e]]) {
                can_end[sources[e]] = true;
                work.push_back(sources[e]);
            }
        }
    }
    for (std::uint32_t i = 0; i < n; ++i) {
        if (!can_end[i]) {
            return i;
        }
    }
    return -1;
}

} // namespace detail

/// Explores every interleaving of m's steps; see the top of this file for the checks.
template <class Model>
result explore(const Model& m, std::size_t max_states = 3'000'000) {
    using state = typename Model::state;
    static_assert(std::is_trivially_copyable_v<state> &&
                      std::has_unique_object_representations_v<state>,
                  "a model state is hashed as bytes: make it trivially copyable, with no padding "
                  "(one-byte fields do that)");
    detail::graph<state> g;
    std::vector<state> keys; // canonical forms, by index
    auto key_of = [&m](state s) {
        if constexpr (requires { m.canonical(s); }) {
            m.canonical(s);
        }
        return s;
    };
    auto hash = [&keys](std::uint32_t i) {
        return std::hash<std::string_view>{}(detail::bytes(keys[i]));
    };
    auto same = [&keys](std::uint32_t a, std::uint32_t b) {
        return std::memcmp(&keys[a], &keys[b], sizeof(state)) == 0;
    };
    std::unordered_set<std::uint32_t, decltype(hash), decltype(same)> seen(1024, hash, same);
    g.states.push_back(m.initial());
    keys.push_back(key_of(g.states[0]));
    g.parent.push_back(0);
    g.via.push_back({});
    seen.insert(0);

    result r;
    std::vector<bool> good_end;
    for (std::uint32_t i = 0; i < g.states.size(); ++i) {
        g.first.push_back(static_cast<std::uint32_t>(g.targets.size()));
        const state s = g.states[i];
        if (const char* v = m.violation(s)) {
            r.failure = std::string(v) + ", after:\n" + detail::trace(m, g, i);
            return r;
        }
        bool any = false;
        m.successors(s, [&](const state& next, step_label label) {
            any = true;
            keys.push_back(key_of(next));
            const auto k = static_cast<std::uint32_t>(keys.size() - 1);
            auto [it, fresh] = seen.insert(k);
            if (fresh) {
                g.states.push_back(next);
                g.parent.push_back(i);
                g.via.push_back(label);
            } else {
                keys.pop_back();
            }
            g.targets.push_back(*it);
        });
        good_end.push_back(!any && m.finished(s));
        if (!any && !good_end.back()) {
            r.failure = "stuck: no thread can take a step, yet the run has not finished "
                        "(a deadlock or a lost wake-up), after:\n" +
                        detail::trace(m, g, i);
            return r;
        }
        r.finished += good_end.back() ? 1 : 0;
        if (g.states.size() > max_states) {
            r.failure = "more than " + std::to_string(max_states) + " states: bounds too large";
            return r;
        }
    }
    g.first.push_back(static_cast<std::uint32_t>(g.targets.size()));
    r.states = g.states.size();
    r.edges = g.targets.size();
    r.acyclic = detail::acyclic(g);
    if (const std::int64_t trap = detail::first_trap(g, good_end); trap >= 0) {
        r.failure = "trapped: a state from which the run can never finish (a livelock), after:\n" +
                    detail::trace(m, g, static_cast<std::uint32_t>(trap));
    }
    return r;
}

} // namespace weft_model
