// weft::runtime_stats() (stats.hpp): one loop_stats per loop of the calling task's runtime, or
// the stand-alone loop's own. It reads the private runtime (runtime.hpp) to walk the loops.
#include "loop_impl.hpp"
#include "runtime.hpp"

#include <weft/runtime/stats.hpp>

namespace weft {

std::vector<loop_stats> runtime_stats() {
    loop& here = current_loop();
    detail::runtime* rt = here.impl().rt;
    std::vector<loop_stats> out;
    const std::size_t n = rt == nullptr ? 1 : rt->size();
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back((rt == nullptr ? here : rt->loop_at(i)).stats());
    }
    return out;
}

} // namespace weft
