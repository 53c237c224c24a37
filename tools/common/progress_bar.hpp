#pragma once

// The one progress bar of the weft command (stress's sweep, fetch's URL list): a line redrawn in
// place on a terminal, with the phase, the rate and an estimate of the time left; lines printed
// through it appear above the bar. Only drawn on a terminal: elsewhere it prints the lines alone.

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace weft::tools {

/// What the bar shows: how far the whole job is, what it does now, and how fast it goes.
struct progress_state {
    double fraction = 0;      ///< of the whole job, 0 to 1
    std::string_view phase{}; ///< "warm-up", "measuring", "idle check", "fetching"
    std::string_view label{}; ///< the item at hand ("tbb:4 cpu:50 x64")
    double rate = 0;          ///< items or calls per second; 0: not shown
    std::string_view rate_unit = "/s";
};

/// One progress-bar line, "[#####     ]  42%  measuring  tbb:4 cpu:50 x64  12.3k/s  ETA 1m05s",
/// cut or padded to exactly `width` columns. `eta_s` < 0: no estimate.
[[nodiscard]] std::string format_progress(const progress_state& s, double eta_s, std::size_t width);

/// "1m05s", "42s", "2h03m": a duration as the bar shows it.
[[nodiscard]] std::string eta_text(double seconds);

/// Draws the progress bar on `out` when it is a terminal and clears it when destroyed. The time
/// left is estimated from the time since construction and the fraction done.
class progress_bar {
public:
    explicit progress_bar(std::FILE* out) noexcept;
    progress_bar(const progress_bar&) = delete;
    progress_bar& operator=(const progress_bar&) = delete;
    ~progress_bar();

    void update(const progress_state& s);
    /// Old spelling: no phase, no rate.
    void update(double fraction, std::string_view label) {
        update(progress_state{.fraction = fraction, .label = label});
    }
    /// Prints `text` (whole lines) to `to` (stdout for a report's rows) above the bar: the bar
    /// is cleared, the text written and flushed, the bar drawn again. No bar: the text alone.
    void print(std::FILE* to, std::string_view text);
    /// Whether the bar is drawn (its stream is a terminal).
    [[nodiscard]] bool drawn() const noexcept { return tty_; }

private:
    std::FILE* out_;
    bool tty_ = false;
    std::size_t width_ = 0;
    std::string last_;
    std::chrono::steady_clock::time_point start_;
    void clear();
};

} // namespace weft::tools
