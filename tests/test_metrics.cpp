// MetricsLog: CSV columns and a well-formed SVG plot.
#include "helpers.hpp"

#include <cctype>

using namespace xg;

namespace {
// Minimal XML well-formedness: tags nest and close, attributes are quoted, entities are known.
std::string xml_error(const std::string& x) {
    std::vector<std::string> open;
    std::size_t i = 0;
    auto name_at = [&](std::size_t& p) {
        const std::size_t start = p;
        while (p < x.size() &&
               (std::isalnum(static_cast<unsigned char>(x[p])) || x[p] == '-' || x[p] == ':' || x[p] == '_'))
            ++p;
        return x.substr(start, p - start);
    };
    while (i < x.size()) {
        if (x[i] == '&') {
            const std::size_t semi = x.find(';', i);
            const std::string ent = semi == std::string::npos ? "" : x.substr(i, semi - i + 1);
            if (ent != "&amp;" && ent != "&lt;" && ent != "&gt;" && ent != "&quot;" && ent != "&apos;")
                return "bad entity at " + std::to_string(i);
            i = semi + 1;
        } else if (x[i] != '<') {
            if (x[i] == '>') return "stray > at " + std::to_string(i);
            ++i;
        } else if (x.compare(i, 2, "<?") == 0) {
            i = x.find("?>", i);
            if (i == std::string::npos) return "unclosed <?";
            i += 2;
        } else if (x.compare(i, 2, "</") == 0) {
            std::size_t p = i + 2;
            const std::string name = name_at(p);
            if (open.empty() || open.back() != name || p >= x.size() || x[p] != '>') return "bad close </" + name + ">";
            open.pop_back();
            i = p + 1;
        } else {
            std::size_t p = i + 1;
            const std::string name = name_at(p);
            if (name.empty()) return "bad tag at " + std::to_string(i);
            while (true) {
                while (p < x.size() && std::isspace(static_cast<unsigned char>(x[p]))) ++p;
                if (p >= x.size()) return "unclosed tag " + name;
                if (x[p] == '>') {
                    open.push_back(name);
                    i = p + 1;
                    break;
                }
                if (x.compare(p, 2, "/>") == 0) {
                    i = p + 2;
                    break;
                }
                if (name_at(p).empty() || p >= x.size() || x[p] != '=' || x[p + 1] != '"')
                    return "bad attribute in " + name;
                const std::size_t end = x.find('"', p + 2);
                if (end == std::string::npos || x.substr(p + 2, end - p - 2).find('<') != std::string::npos)
                    return "bad value in " + name;
                p = end + 1;
            }
        }
    }
    return open.empty() ? "" : "unclosed <" + open.back() + ">";
}
}  // namespace

TEST_CASE("MetricsLog: CSV with a column per metric", "[viz]") {
    viz::MetricsLog log("epoch");
    log.log(1, "train loss", 0.5);
    log.log(1, "test accuracy", 80.25);
    log.log(2, "train loss", 0.25);
    CHECK(log.csv() == "epoch,train loss,test accuracy\n1,0.5,80.25\n2,0.25,\n");
}

TEST_CASE("MetricsLog: the SVG plot is well-formed XML with a panel and a curve per metric", "[viz]") {
    viz::MetricsLog log("step");
    for (int s = 0; s <= 100; s += 10) {
        log.log(s, "loss", 1.0 / (1 + s));
        log.log(s, "accuracy <%> & more", 50 + s / 2.0);
    }
    const std::string svg = log.svg("Training \"curves\"");
    INFO(svg.substr(0, 400));
    CHECK(xml_error(svg).empty());
    CHECK(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\"") != std::string::npos);
    CHECK(svg.find(">loss</text>") != std::string::npos);  // each metric's panel is titled
    std::size_t polylines = 0;
    for (std::size_t p = svg.find("<polyline"); p != std::string::npos; p = svg.find("<polyline", p + 1)) ++polylines;
    CHECK(polylines == 2);
    CHECK(svg.find("accuracy &lt;%&gt; &amp; more") != std::string::npos);
    CHECK(xml_error("<a><b></a>") != "");  // the checker itself can fail
    CHECK(xml_error("<a x=1/>") != "");
}

TEST_CASE("MetricsLog: the CSV keeps every digit; axis labels tell neighbouring ticks apart", "[viz]") {
    viz::MetricsLog log("step");
    log.log(1, "loss", 0.1 + 0.2);
    log.log(2, "loss", 1e-9);
    CHECK(log.csv() == "step,loss\n1,0.30000000000000004\n2,1e-09\n");  // reads back as the same doubles

    viz::MetricsLog close("epoch");
    close.log(1, "accuracy", 0.50001);
    close.log(2, "accuracy", 0.50004);
    const std::string svg = close.svg("close values");
    CHECK(svg.find(">0.500015</text>") != std::string::npos);  // four significant digits printed 0.5 for every tick
    CHECK(svg.find(">0.500030</text>") != std::string::npos);
    viz::MetricsLog tenths("epoch");
    for (int e = 0; e <= 10; ++e) tenths.log(e, "loss", e / 10.0);
    const std::string t = tenths.svg("tenths");
    CHECK(t.find(">0.6</text>") != std::string::npos);  // 3 · 0.2, not 0.6000000000000001
    CHECK(t.find("0000000") == std::string::npos);
}
