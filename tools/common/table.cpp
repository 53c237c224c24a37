// The fitted text tables of table.hpp: column widths from the rows (or the expected widths),
// then short titles, then columns left out from the least important until a line fits.
#include "table.hpp"

#include <algorithm>

namespace weft::tools {

namespace {

constexpr std::size_t gap = 2; // spaces between columns

const std::string& title_of(const table_column& c, bool short_titles) {
    return short_titles && !c.short_title.empty() ? c.short_title : c.title;
}

} // namespace

table_layout::table_layout(std::vector<table_column> columns, std::size_t max_width,
                           const std::vector<std::vector<std::string>>& rows)
    : columns_(std::move(columns)), shown_(columns_.size(), true), max_width_(max_width) {
    std::vector<std::size_t> content(columns_.size());
    for (std::size_t i = 0; i < columns_.size(); ++i) {
        content[i] = rows.empty() ? columns_[i].width : 0;
        for (const auto& r : rows) {
            content[i] = std::max(content[i], i < r.size() ? r[i].size() : 0);
        }
    }
    auto measure = [&] {
        widths_.assign(columns_.size(), 0);
        std::size_t total = 0, n = 0;
        for (std::size_t i = 0; i < columns_.size(); ++i) {
            if (shown_[i]) {
                widths_[i] = std::max(content[i], title_of(columns_[i], short_titles_).size());
                total += widths_[i];
                ++n;
            }
        }
        total_ = total + (n > 0 ? gap * (n - 1) : 0);
        return total_;
    };
    if (measure() <= max_width_ || max_width_ == 0) {
        return;
    }
    short_titles_ = true;
    while (measure() > max_width_) {
        // The least important shown column, the rightmost among equals; never the first.
        std::size_t drop = 0;
        for (std::size_t i = 1; i < columns_.size(); ++i) {
            if (shown_[i] && (drop == 0 || columns_[i].priority >= columns_[drop].priority)) {
                drop = i;
            }
        }
        if (drop == 0) {
            break; // only the first column is left: row() cuts it
        }
        shown_[drop] = false;
    }
}

std::string table_layout::line(const std::vector<std::string>& cells) const {
    std::string s;
    std::size_t want = 0; // where this column starts when every cell keeps to its width
    for (std::size_t i = 0; i < columns_.size(); ++i) {
        if (!shown_[i]) {
            continue;
        }
        const std::string& cell = i < cells.size() ? cells[i] : std::string();
        // After a cell that ran over its column, at least one space; the padding of the cells
        // that follow takes the overrun back so that later columns line up again.
        const std::size_t earliest = s.empty() ? 0 : s.size() + 1;
        const std::size_t start =
            columns_[i].left
                ? std::max(want, earliest)
                : std::max(earliest, want + widths_[i] - std::min(widths_[i], cell.size()));
        s.append(start - s.size(), ' ');
        s += cell;
        want += widths_[i] + gap;
    }
    while (!s.empty() && s.back() == ' ') {
        s.pop_back();
    }
    if (max_width_ > 0 && s.size() > max_width_) {
        s.resize(max_width_ - 1);
        s += '~';
    }
    return s + "\n";
}

std::string table_layout::header() const {
    std::vector<std::string> titles;
    for (const table_column& c : columns_) {
        titles.push_back(title_of(c, short_titles_));
    }
    const std::size_t rule = max_width_ > 0 ? std::min(total_, max_width_) : total_;
    return line(titles) + std::string(rule, '-') + "\n";
}

std::string table_layout::row(const std::vector<std::string>& cells) const {
    return line(cells);
}

std::vector<std::string> table_layout::hidden() const {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
        if (!shown_[i]) {
            out.push_back(columns_[i].title);
        }
    }
    return out;
}

std::string table_layout::hidden_note(const std::string& where) const {
    const std::vector<std::string> h = hidden();
    if (h.empty()) {
        return {};
    }
    std::string names;
    for (const std::string& t : h) {
        names += (names.empty() ? "" : ", ") + t;
    }
    return "(not shown at " + std::to_string(max_width_) + " columns: " + names + "; " + where +
           " every column)\n";
}

std::string render_table(const std::vector<table_column>& columns,
                         const std::vector<std::vector<std::string>>& rows, std::size_t max_width) {
    const table_layout layout(columns, max_width, rows);
    std::string out = layout.header();
    for (const auto& r : rows) {
        out += layout.row(r);
    }
    return out;
}

} // namespace weft::tools
