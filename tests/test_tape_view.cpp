// The tape as a listing and as a DOT picture.
#include "helpers.hpp"

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>

using namespace xg;

namespace {
// A Linear-Tanh-Linear-Sigmoid net on XOR, the loss not yet backpropagated.
struct Xor {
    nn::Sequential model{nn::Linear(2, 3), nn::Tanh(), nn::Linear(3, 1), nn::Sigmoid()};
    Tensor x = Tensor::from({{0, 0}, {0, 1}, {1, 0}, {1, 1}});
    Tensor loss = nn::functional::binary_cross_entropy(model(x), Tensor::from({{0}, {1}, {1}, {0}}));
};
}  // namespace

TEST_CASE("tape_str: the ops in the order they ran, with shapes and parameter names", "[autograd][tape]") {
    manual_seed(0);
    Xor net;
    const std::string s = autograd::tape_str(net.loss, net.model.named_parameters());
    INFO(s);
    CHECK(s.find("7 ops, in the order they ran") != std::string::npos);
    CHECK(s.find("#1 linear") != std::string::npos);
    CHECK(s.find("input [4, 2], 0.weight [3, 2], 0.bias [3] -> [4, 3]") != std::string::npos);
    CHECK(s.find("#2 tanh") != std::string::npos);
    CHECK(s.find("#3 linear              #2 [4, 3], 2.weight [1, 3], 2.bias [1] -> [4, 1]") != std::string::npos);
    CHECK(s.find("#5 binary_cross_entropy") != std::string::npos);
    CHECK(s.find("#6 sum") != std::string::npos);  // the mean: sum, then times 1/n
    CHECK(s.find("#7 mul                 #6 [] -> []") != std::string::npos);
    CHECK(autograd::tape_str(net.x).find("is a leaf") != std::string::npos);
    net.loss.backward();
    CHECK_THROWS_WITH(autograd::tape_str(net.loss),
                      Catch::Contains("tape_str: the graph through") && Catch::Contains("retain_graph"));
}

TEST_CASE("to_dot: one node per op and per leaf, named, with an edge per input", "[autograd][tape]") {
    manual_seed(0);
    Xor net;
    const std::string dot = autograd::to_dot(net.loss, net.model.named_parameters());
    INFO(dot);
    CHECK(dot.rfind("digraph tape {", 0) == 0);
    std::set<std::string> ops, leaves;
    const std::regex op_line(R"((op\d+) \[shape=box.*label="#\d+ ([a-z_]+))");
    for (auto it = std::sregex_iterator(dot.begin(), dot.end(), op_line); it != std::sregex_iterator(); ++it)
        ops.insert((*it)[2]);
    CHECK(ops == std::set<std::string>{"linear", "tanh", "sigmoid", "binary_cross_entropy", "sum", "mul"});
    for (const std::string name : {"0.weight", "0.bias", "2.weight", "2.bias", "input"}) {
        CHECK(dot.find("label=\"" + name + "\\n") != std::string::npos);
    }
    std::size_t edges = 0;
    for (std::size_t p = dot.find("->"); p != std::string::npos; p = dot.find("->", p + 2)) ++edges;
    CHECK(edges == 13);  // linear 3, tanh 1, linear 3, sigmoid 1, bce 2, sum 1, mul 1, result 1
    // Graphviz must accept it (skipped where graphviz isn't installed).
    if (std::system("command -v dot >/dev/null 2>&1") != 0) {
        WARN("skipped the `dot -Tsvg` check: graphviz is not installed (apt-get install graphviz)");
        return;
    }
    const std::string path = test::temp_path("tape.dot");
    std::ofstream(path) << dot;
    CHECK(std::system(("dot -Tsvg " + path + " -o " + path + ".svg").c_str()) == 0);
}
