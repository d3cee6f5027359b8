// nn::ModuleList and nn::ModuleDict: editing, indexing, PyTorch's parameter names and repr,
// state dicts, clones, and the error of calling them.
#include "helpers.hpp"

#include <sstream>

using namespace xg;

namespace {
std::vector<std::string> param_names(const nn::Module& m) {
    std::vector<std::string> out;
    for (const auto& [n, _] : m.named_parameters()) out.push_back(n);
    return out;
}
std::string repr(const nn::Module& m) {
    std::ostringstream s;
    s << m;
    return s.str();
}

// A conv block: blocks.0.conv.weight, as in a PyTorch ResNet stage.
struct ConvBlock : nn::Module {
    nn::Conv2d conv;
    explicit ConvBlock(std::size_t channels) : conv(channels, channels, 3, 1, 1) { register_module("conv", conv); }
    Tensor forward(const Tensor& x) override { return relu(conv(x)) + x; }
};

// Blocks in a ModuleList, heads in a ModuleDict, a forward with two inputs.
struct Net : nn::ModuleBase<Net> {
    nn::ModuleList blocks;
    nn::ModuleDict heads;
    Net() {
        for (int i = 0; i < 2; ++i) blocks.push_back(ConvBlock(2));
        heads.insert("cls", nn::Linear(2, 3));
        heads.insert("aux", nn::Linear(2, 1));
        register_module("blocks", blocks);
        register_module("heads", heads);
    }
    Tensor forward(const Tensor& x, const Tensor& bias) {
        Tensor h = x;
        for (nn::Module& block : blocks) h = block(h);
        Tensor pooled = mean(mean(h, 3), 2);  // [N, C]
        return heads["cls"](pooled) + heads.at<nn::Linear>("aux")(pooled) + bias;
    }
};
}  // namespace

TEST_CASE("ModuleList: push_back, extend, insert, negative index, at<T>, iteration, repr", "[modules]") {
    nn::ModuleList list(nn::Linear(2, 3), nn::ReLU());
    list.push_back(nn::Linear(3, 1));
    CHECK(list.size() == 3);
    CHECK(list[-1].short_repr() == "Linear(in_features=3, out_features=1, bias=true)");
    CHECK(list.at<nn::Linear>(0).out_features == 3);
    CHECK_THROWS_WITH(list.at<nn::Linear>(1),
                      Catch::Contains("ModuleList::at<Linear>(1): module 1 is ReLU(), not Linear"));
    CHECK_THROWS_WITH(list[3], Catch::Contains("ModuleList::[]: index 3 is out of range for 3 modules"));
    CHECK(param_names(list) == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});

    list.insert(0, nn::Tanh());  // the later ones are renumbered
    list.extend(nn::ModuleList(nn::Sigmoid()));
    std::vector<std::string> kinds;
    for (nn::Module& m : list) kinds.push_back(m.name());
    CHECK(kinds == std::vector<std::string>{"Tanh", "Linear", "ReLU", "Linear", "Sigmoid"});
    CHECK(param_names(list) == std::vector<std::string>{"1.weight", "1.bias", "3.weight", "3.bias"});
    CHECK(repr(list) ==
          "ModuleList(\n"
          "  (0): Tanh()\n"
          "  (1): Linear(in_features=2, out_features=3, bias=true)\n"
          "  (2): ReLU()\n"
          "  (3): Linear(in_features=3, out_features=1, bias=true)\n"
          "  (4): Sigmoid()\n"
          ")");
    CHECK(repr(nn::ModuleList()) == "ModuleList()");
    list.extend(list);  // itself: each module once more, shared
    CHECK(list.size() == 10);
    CHECK(list.parameters().size() == 4);  // shared parameters are listed once
}

TEST_CASE("ModuleList, ModuleDict: calling one is an Error, as in PyTorch", "[modules][errors]") {
    nn::ModuleList list{nn::ReLU()};
    CHECK_THROWS_WITH(list(Tensor::ones({2})),
                      Catch::Contains("ModuleList is not callable") &&
                          Catch::Contains("Module [ModuleList] is missing the required \"forward\" function"));
    nn::ModuleDict dict;
    CHECK_THROWS_WITH(dict(Tensor::ones({2})), Catch::Contains("ModuleDict is not callable"));
}

TEST_CASE("ModuleDict: insert, replace in place, contains, keys and items in order, at<T>, pop, repr", "[modules]") {
    nn::ModuleDict dict;
    dict.insert("act", nn::ReLU());
    dict.insert("proj", nn::Linear(1, 1));
    dict.insert("out", nn::Linear(1, 2));
    CHECK(dict.keys() == std::vector<std::string>{"act", "proj", "out"});
    dict.insert("act", nn::GELU());  // replaced, keeping its place
    CHECK(dict.keys() == std::vector<std::string>{"act", "proj", "out"});
    CHECK(dict["act"].name() == "GELU");
    CHECK(dict.contains("proj"));
    CHECK_FALSE(dict.contains("missing"));
    CHECK_THROWS_WITH(dict["missing"],
                      Catch::Contains("ModuleDict: no module named 'missing' (it has 'act', 'proj', 'out')"));
    CHECK_THROWS_WITH(dict.at<nn::Linear>("act"), Catch::Contains("module 'act' is GELU()"));
    CHECK_THROWS_WITH(dict.insert("a.b", nn::ReLU()), Catch::Contains("contain no '.'"));
    CHECK(dict.at<nn::Linear>("out").out_features == 2);
    CHECK(param_names(dict) == std::vector<std::string>{"proj.weight", "proj.bias", "out.weight", "out.bias"});

    std::vector<std::string> seen;
    for (auto [name, module] : dict) seen.push_back(name + "=" + module.name());
    CHECK(seen == std::vector<std::string>{"act=GELU", "proj=Linear", "out=Linear"});
    CHECK(dict.items().size() == 3);
    CHECK(dict.values()[2]->name() == "Linear");
    CHECK(repr(dict) ==
          "ModuleDict(\n"
          "  (act): GELU()\n"
          "  (proj): Linear(in_features=1, out_features=1, bias=true)\n"
          "  (out): Linear(in_features=1, out_features=2, bias=true)\n"
          ")");
    nn::ModulePtr proj = dict.pop("proj");
    CHECK(proj->name() == "Linear");
    CHECK(dict.keys() == std::vector<std::string>{"act", "out"});
    CHECK_THROWS_WITH(dict.pop("proj"), Catch::Contains("no module named 'proj'"));
}

TEST_CASE("ModuleList, ModuleDict: PyTorch's names in a custom module; state_dict round trip; clone", "[modules]") {
    manual_seed(3);
    Net net;
    CHECK(param_names(net) == std::vector<std::string>{"blocks.0.conv.weight", "blocks.0.conv.bias",
                                                       "blocks.1.conv.weight", "blocks.1.conv.bias", "heads.cls.weight",
                                                       "heads.cls.bias", "heads.aux.weight", "heads.aux.bias"});
    CHECK(repr(net).rfind("Net(\n  (blocks): ModuleList(\n    (0): ConvBlock(\n      (conv): Conv2d(", 0) == 0);
    CHECK(repr(net).find("  (heads): ModuleDict(\n    (cls): Linear(in_features=2, out_features=3, bias=true)") !=
          std::string::npos);

    Tensor x = Tensor::randn({2, 2, 5, 5}), bias = Tensor::randn({3});
    const Tensor y = net(x, bias);
    CHECK(y.shape() == Shape{2, 3});

    // A fresh net differs until it loads the state dict; then it gives the same output.
    Net other;
    CHECK_FALSE(test::all_close(other(x, bias), y));
    other.load_state_dict(net.state_dict());
    CHECK(test::all_close(other(x, bias), y));

    // A clone has its own parameters, in its own containers.
    Net copy = net.clone();
    CHECK(test::all_close(copy(x, bias), y));
    CHECK(copy.blocks.at<ConvBlock>(0).conv.weight.impl() != net.blocks.at<ConvBlock>(0).conv.weight.impl());
    nn::init::zeros_(copy.blocks.at<ConvBlock>(1).conv.weight);
    CHECK_FALSE(test::all_close(copy(x, bias), y));
    CHECK(test::all_close(net(x, bias), y));
    copy.blocks.push_back(nn::ReLU());  // the clone's list is its own
    CHECK(net.blocks.size() == 2);

    nn::ModuleList list(nn::Linear(2, 2));
    nn::ModuleList list_copy = list.clone();
    CHECK(list_copy.at<nn::Linear>(0).weight.impl() != list.at<nn::Linear>(0).weight.impl());
    CHECK(test::all_close(list_copy.at<nn::Linear>(0).weight, list.at<nn::Linear>(0).weight));
    nn::ModuleDict dict;
    dict.insert("fc", nn::Linear(2, 2));
    nn::ModuleDict dict_copy = dict.clone();
    CHECK(dict_copy.keys() == std::vector<std::string>{"fc"});
    CHECK(dict_copy.at<nn::Linear>("fc").weight.impl() != dict.at<nn::Linear>("fc").weight.impl());

    // train/eval reach into the containers
    net.eval();
    CHECK_FALSE(net.blocks[1].is_training());
    CHECK_FALSE(net.heads["aux"].is_training());
}
