// The runtime's internal door for net/ (runtime/internal/weft/runtime/internal/loop_io.hpp):
// a loop's io_context and its sibling loops, read from the private loop and runtime engines.
#include <weft/runtime/internal/loop_io.hpp>

#include "loop_impl.hpp"
#include "runtime.hpp"

namespace weft::internal {

asio::io_context& io_of(loop& l) noexcept {
    return l.impl().io();
}

std::vector<loop*> loops_of_run(loop& l) {
    detail::runtime* rt = l.impl().rt;
    if (rt == nullptr) {
        return {&l};
    }
    std::vector<loop*> out;
    out.reserve(rt->size());
    for (std::size_t i = 0; i < rt->size(); ++i) {
        out.push_back(&rt->loop_at(i));
    }
    return out;
}

} // namespace weft::internal
