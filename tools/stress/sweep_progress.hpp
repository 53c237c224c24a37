#pragma once

// How far a `weft stress` run is, as one fraction for the progress bar (whose time left is
// estimated from it): the cells, then the idle check. The idle check's length is known in
// advance (its window and the settling), the sweep's is not; so the sweep's length is estimated
// from the time it has taken and the share of its cells done, which keeps the fraction rising
// and lets the estimate of the time left include the idle check from the start.

#include <algorithm>

namespace weft::stress {

/// The run's fraction done `elapsed_s` seconds into the sweep with `cells_fraction` (0..1) of its
/// cells done, when an idle check of `idle_s` seconds follows: elapsed / (estimated sweep + idle),
/// where the estimated sweep is elapsed / cells_fraction. With no idle check it is
/// cells_fraction itself.
[[nodiscard]] inline double sweep_fraction(double elapsed_s, double cells_fraction,
                                           double idle_s) noexcept {
    cells_fraction = std::clamp(cells_fraction, 0.0, 1.0);
    if (idle_s <= 0 || cells_fraction <= 0 || elapsed_s <= 0) {
        return idle_s <= 0 ? cells_fraction : 0.0;
    }
    return elapsed_s / (elapsed_s / cells_fraction + idle_s);
}

/// The fraction `idle_elapsed_s` into an idle check of `idle_s` seconds after a sweep of
/// `sweep_s` seconds; at most 0.99 until the check is done (settling may take longer).
[[nodiscard]] inline double idle_fraction(double sweep_s, double idle_elapsed_s,
                                          double idle_s) noexcept {
    if (idle_s <= 0 || sweep_s + idle_s <= 0) {
        return 1.0;
    }
    return std::min((sweep_s + idle_elapsed_s) / (sweep_s + idle_s), 0.99);
}

} // namespace weft::stress
