// PyTorch's optimizer and scheduler numbers, from tests/reference/optim.txt (made by
// tests/reference/make_optim_reference.py), and the least-squares problem they were made on.
#pragma once

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "helpers.hpp"

namespace xg::test {

// The numbers recorded under `name`, as doubles (lrs are Python floats, written with 17 digits).
inline const std::vector<double>& optim_reference(const std::string& name) {
    static const std::map<std::string, std::vector<double>> table = [] {
        std::map<std::string, std::vector<double>> t;
        std::ifstream in(source_path("tests/reference/optim.txt"));
        if (!in)
            throw Error("tests: can't read tests/reference/optim.txt (run tests/reference/make_optim_reference.py)");
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#') continue;
            std::istringstream s(line);
            std::string key;
            s >> key;
            for (double v; s >> v;) t[key].push_back(v);
        }
        return t;
    }();
    auto it = table.find(name);
    if (it == table.end()) throw Error("tests: no reference numbers named " + name + " in optim.txt");
    return it->second;
}

struct Problem {  // the least-squares problem of make_optim_reference.py
    Tensor X = Tensor::from({{0.5, -1.0, 2.0}, {1.5, 0.25, -0.5}, {-1.0, 1.0, 0.75}, {0.0, -0.5, 1.25}});
    Tensor Y = Tensor::from({{1.0, -1.0}, {0.5, 2.0}, {-1.5, 0.0}, {0.25, 0.75}});
    Tensor w = Tensor::from({{0.1, -0.2, 0.3}, {-0.4, 0.5, -0.6}}).requires_grad_();
    Tensor b = Tensor::from({0.05, -0.05}).requires_grad_();
    Tensor loss() const { return mean(pow(matmul(X, w.t()) + b - Y, 2.0f)); }
    void train(optim::Optimizer& opt, int steps = 1) const {
        for (int i = 0; i < steps; ++i) {
            opt.zero_grad();
            loss().backward();
            opt.step();
        }
    }
    std::vector<float> values() const {
        std::vector<float> v(w.data().begin(), w.data().end());
        v.insert(v.end(), b.data().begin(), b.data().end());
        return v;
    }
};

}  // namespace xg::test
