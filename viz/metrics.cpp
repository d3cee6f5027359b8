// CSV and SVG output for MetricsLog: nice axis ticks, one panel per metric.
#include "viz/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/format.hpp"

namespace xg::viz {

namespace {

// About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 times a power of ten),
// each k·step for a whole k, so that no error accumulates along the axis.
struct Ticks {
    std::vector<double> values;
    int decimals = 0;  // what a label needs to show the step: 0 for 5, 1 for 0.5, 5 for 2e-05
};
Ticks ticks(double lo, double hi, int count = 5) {
    if (!(hi > lo)) hi = lo + 1.0;
    const double raw = (hi - lo) / count;
    const double exponent = std::floor(std::log10(raw)), mag = std::pow(10.0, exponent);
    const double unit = raw / mag < 1.5 ? 1 : raw / mag < 3.5 ? 2 : raw / mag < 7.5 ? 5 : 10;
    const double step = unit * mag;
    Ticks out;
    out.decimals = static_cast<int>(std::max(0.0, -exponent - (unit == 10 ? 1 : 0)));
    for (double k = std::ceil(lo / step); k * step <= hi + 1e-9 * step; k += 1) out.values.push_back(k * step);
    return out;
}

// A tick label: the value to the step's decimals, so neighbouring ticks never print alike
// (0.50001 and 0.50002, not 0.5 twice) and 3 · 0.1 prints as 0.3.
std::string tick_label(double v, int decimals) {
    char buf[400];  // fixed notation of the largest double
    std::string text(buf, std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals).ptr);
    if (text[0] == '-' && text.find_first_not_of("0.", 1) == std::string::npos) text.erase(0, 1);  // "-0.0" is "0.0"
    return text;
}

std::string xml_escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    if (!out) throw Error("MetricsLog: can't open " + path + " for writing");
    out << text;
    if (!out) throw Error("MetricsLog: writing " + path + " failed");
}

}  // namespace

void MetricsLog::log(double x, const std::string& name, double value) {
    if (!series_.count(name)) names_.push_back(name);
    series_[name].emplace_back(x, value);
}

std::string MetricsLog::csv() const {
    std::set<double> xs;
    for (const auto& [_, points] : series_)
        for (const auto& p : points) xs.insert(p.first);
    std::ostringstream s;
    s << x_name_;
    for (const auto& n : names_) s << ',' << n;
    s << '\n';
    for (double x : xs) {  // every value exactly, shortest form: the CSV reads back to the same doubles
        s << format_number(x);
        for (const auto& n : names_) {
            s << ',';
            for (const auto& [px, v] : series_.at(n))
                if (px == x) {
                    s << format_number(v);
                    break;
                }
        }
        s << '\n';
    }
    return s.str();
}

std::string MetricsLog::svg(const std::string& title) const {
    const double width = 640, panel_h = 200, left = 70, right = 20, top = 40, gap = 50;
    const double height = top + static_cast<double>(names_.size()) * (panel_h + gap) + 10;
    static const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
    double xlo = INFINITY, xhi = -INFINITY;
    for (const auto& [_, points] : series_)
        for (const auto& p : points) xlo = std::min(xlo, p.first), xhi = std::max(xhi, p.first);
    if (series_.empty()) xlo = 0, xhi = 1;
    const Ticks xt = ticks(xlo, xhi);
    xlo = std::min(xlo, xt.values.front());
    xhi = std::max({xhi, xt.values.back(), xlo + 1e-9});

    std::ostringstream s;
    s << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
      << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << ' ' << height
      << "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
      << "  <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n  <text x=\"" << width / 2
      << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" << xml_escape(title) << "</text>\n";
    for (std::size_t k = 0; k < names_.size(); ++k) {
        const auto& points = series_.at(names_[k]);
        double ylo = INFINITY, yhi = -INFINITY;
        for (const auto& p : points) {
            if (std::isfinite(p.second)) ylo = std::min(ylo, p.second), yhi = std::max(yhi, p.second);
        }
        if (!std::isfinite(ylo)) ylo = 0, yhi = 1;
        if (yhi - ylo < 1e-12) ylo -= 0.5, yhi += 0.5;
        const Ticks yt = ticks(ylo, yhi);
        ylo = std::min(ylo, yt.values.front());
        yhi = std::max(yhi, yt.values.back());
        const double y0 = top + static_cast<double>(k) * (panel_h + gap), x0 = left, pw = width - left - right;
        auto px = [&](double x) { return x0 + (x - xlo) / (xhi - xlo) * pw; };
        auto py = [&](double y) { return y0 + panel_h - (y - ylo) / (yhi - ylo) * panel_h; };
        s << "  <g>\n    <text x=\"" << x0 << "\" y=\"" << y0 - 8 << "\" font-weight=\"bold\">" << xml_escape(names_[k])
          << "</text>\n    <rect x=\"" << x0 << "\" y=\"" << y0 << "\" width=\"" << pw << "\" height=\"" << panel_h
          << "\" fill=\"none\" stroke=\"#999\"/>\n";
        for (double v : yt.values) {
            s << "    <line x1=\"" << x0 << "\" x2=\"" << x0 + pw << "\" y1=\"" << py(v) << "\" y2=\"" << py(v)
              << "\" stroke=\"#eee\"/>\n    <text x=\"" << x0 - 6 << "\" y=\"" << py(v) + 4 << "\" text-anchor=\"end\">"
              << tick_label(v, yt.decimals) << "</text>\n";
        }
        for (double v : xt.values) {
            s << "    <text x=\"" << px(v) << "\" y=\"" << y0 + panel_h + 16 << "\" text-anchor=\"middle\">"
              << tick_label(v, xt.decimals) << "</text>\n";
        }
        s << "    <text x=\"" << x0 + pw << "\" y=\"" << y0 + panel_h + 32 << "\" text-anchor=\"end\">"
          << xml_escape(x_name_) << "</text>\n    <polyline fill=\"none\" stroke-width=\"2\" stroke=\"" << colors[k % 6]
          << "\" points=\"";
        for (const auto& p : points)
            if (std::isfinite(p.second)) s << px(p.first) << ',' << py(p.second) << ' ';
        s << "\"/>\n";
        if (points.size() <= 50) {
            for (const auto& p : points)
                if (std::isfinite(p.second))
                    s << "    <circle cx=\"" << px(p.first) << "\" cy=\"" << py(p.second) << "\" r=\"3\" fill=\""
                      << colors[k % 6] << "\"/>\n";
        }
        s << "  </g>\n";
    }
    s << "</svg>\n";
    return s.str();
}

void MetricsLog::write_csv(const std::string& path) const { write_file(path, csv()); }
void MetricsLog::write_svg(const std::string& path, const std::string& title) const { write_file(path, svg(title)); }

}  // namespace xg::viz
