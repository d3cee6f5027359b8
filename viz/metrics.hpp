// viz::MetricsLog: training metrics over steps or epochs, written as CSV and as an SVG line
// plot (one panel per metric, sharing the x axis) that any browser opens. No plotting library.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace xg::viz {

class MetricsLog {
public:
    explicit MetricsLog(std::string x_name = "epoch") : x_name_(std::move(x_name)) {}

    // Records `value` of metric `name` at x (an epoch or a step). Metrics appear in the order
    // first logged; each keeps its own points.
    void log(double x, const std::string& name, double value);

    // x, then one column per metric; an empty cell where a metric has no value at that x.
    std::string csv() const;
    std::string svg(const std::string& title) const;
    void write_csv(const std::string& path) const;
    void write_svg(const std::string& path, const std::string& title) const;

private:
    std::string x_name_;
    std::vector<std::string> names_;
    std::map<std::string, std::vector<std::pair<double, double>>> series_;
};

}  // namespace xg::viz
