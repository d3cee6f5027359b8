// The gradcheck table's registration with Catch2, and value comparison.
#include "helpers.hpp"

#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unistd.h>
#include <iostream>
#include <random>

namespace xg::test {

namespace {

struct GradCaseInvoker : Catch::ITestInvoker {
    explicit GradCaseInvoker(GradCase c) : gc(std::move(c)) {}
    void invoke() const override {
        std::vector<Tensor> inputs = make_inputs(gc);
        CHECK_NOTHROW(autograd::gradcheck(gc.fn, inputs, 1e-3f, gc.atol, gc.rtol));
    }
    GradCase gc;
};

}  // namespace

std::vector<Tensor> make_inputs(const GradCase& c) {
    std::mt19937 gen(static_cast<unsigned>(std::hash<std::string>{}(c.name)));
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<Tensor> inputs;
    for (const Shape& shape : c.shapes) {
        Array a = Array::from_shape(shape);
        if (c.domain == Domain::distinct) {
            std::vector<float> ramp(a.size());
            for (std::size_t i = 0; i < ramp.size(); ++i) ramp[i] = 0.1f * static_cast<float>(i) - 0.05f * ramp.size();
            std::shuffle(ramp.begin(), ramp.end(), gen);
            std::copy(ramp.begin(), ramp.end(), a.begin());
        } else {
            for (float& v : a) {
                const float r = u(gen);
                switch (c.domain) {
                    case Domain::any: v = 2.0f * r - 1.0f; break;
                    case Domain::positive: v = 0.5f + 1.5f * r; break;
                    case Domain::off_zero: v = (u(gen) < 0.5f ? -1.0f : 1.0f) * (0.2f + 0.8f * r); break;
                    case Domain::distinct: break;
                }
            }
        }
        inputs.emplace_back(std::move(a), true);
    }
    return inputs;
}

bool register_grad_cases(std::vector<GradCase> cases) {
    static std::deque<std::string> names;  // Catch keeps StringRefs: the text must outlive main
    static std::deque<Catch::AutoReg> registrations;
    for (GradCase& c : cases) {
        names.push_back(c.name);
        // Catch's registry takes ownership of the invoker.
        registrations.emplace_back(new GradCaseInvoker(std::move(c)), CATCH_INTERNAL_LINEINFO, Catch::StringRef(),
                                   Catch::NameAndTags{Catch::StringRef(names.back()), "[grad]"});
    }
    return true;
}

bool all_close(const Array& a, const Array& b, float tol) {
    if (a.shape() != b.shape()) {
        std::cerr << "all_close: shapes " << shape_str(a.shape()) << " and " << shape_str(b.shape()) << " differ\n";
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        const float x = a.data()[i], y = b.data()[i];
        if (!(std::abs(x - y) <= tol) && !(std::isinf(x) && x == y)) {
            std::cerr << "all_close: element " << i << ": " << x << " vs " << y << " (tol " << tol << ")\n";
            return false;
        }
    }
    return true;
}

std::string source_path(const std::string& relative) { return std::string(XGRAD_SOURCE_DIR) + "/" + relative; }

std::string temp_path(const std::string& file_name) {
    const auto dir = std::filesystem::temp_directory_path() / ("xgrad-tests-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return (dir / file_name).string();
}

std::vector<float> reference(const std::string& name) {
    static const std::map<std::string, std::vector<float>> table = [] {
        std::map<std::string, std::vector<float>> t;
        std::ifstream in(source_path("tests/reference/reference.txt"));
        if (!in) throw Error("tests: can't read tests/reference/reference.txt");
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#') continue;
            std::istringstream s(line);
            std::string key;
            s >> key;
            std::vector<float> values;
            for (double v; s >> v;) values.push_back(static_cast<float>(v));
            t[key] = values;
        }
        return t;
    }();
    auto it = table.find(name);
    if (it == table.end()) throw Error("tests: no reference numbers named " + name);
    return it->second;
}

}  // namespace xg::test
