// Checkpoints (#11): PyTorch's dtypes read exactly, PyTorch-made state dicts loaded strictly and
// reproducing PyTorch's output, in-memory state_dict()/load_state_dict(), nn::clone, requires_grad_
// and the generator's state. Reference numbers: tests/reference/make_state_dict_reference.py.
#include "helpers.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <type_traits>

using namespace xg;

namespace {

// The lines of tests/reference/state_dict_reference.txt: name, then numbers.
const std::vector<double>& ref(const std::string& name) {
    static const std::map<std::string, std::vector<double>> table = [] {
        std::map<std::string, std::vector<double>> t;
        std::ifstream in(test::source_path("tests/reference/state_dict_reference.txt"));
        if (!in) throw Error("tests: can't read tests/reference/state_dict_reference.txt");
        for (std::string line; std::getline(in, line);) {
            if (line.empty() || line[0] == '#') continue;
            std::istringstream s(line);
            std::string key, word;
            s >> key;
            auto& v = t[key];
            while (s >> word) v.push_back(std::stod(word));
        }
        return t;
    }();
    return table.at(name);
}

Tensor ref_tensor(const std::string& name, const Shape& shape) {
    std::vector<float> v(ref(name).begin(), ref(name).end());
    REQUIRE(v.size() == Tensor::zeros(shape).numel());
    return Tensor::from_values(shape, v.data());
}

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string with_header(const std::string& json, const std::string& data) {
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((json.size() >> (8 * i)) & 0xff);
    return out + json + data;
}

// The model of make_state_dict_reference.py.
nn::Sequential convbn() {
    return nn::Sequential(nn::Conv2d(2, 3, 3, 1, 1), nn::BatchNorm2d(3), nn::ReLU(), nn::Flatten(),
                          nn::Linear(3 * 4 * 4, 5), nn::BatchNorm1d(5));
}

std::vector<std::string> keys(const StateDict& d) {
    std::vector<std::string> out;
    for (const auto& [k, _] : d.tensors) out.push_back(k);
    return out;
}

// A user's module as the PyTorch tutorials write them: layers as members, and a parameter of its own.
struct Net : nn::Module {
    nn::Linear fc1{4, 8}, fc2{8, 2};
    Tensor scale;
    Net() {
        register_module("fc1", fc1);
        register_module("fc2", fc2);
        scale = register_parameter("scale", Tensor::full({1}, 2.0f));
    }
    Tensor forward(const Tensor& x) override { return fc2(relu(fc1(x))) * scale; }
};

}  // namespace

// ---------------------------------------------------------------- dtypes

TEST_CASE("dtype: every F16 bit pattern widens exactly (subnormals, inf, NaN) and narrows back", "[checkpoint]") {
    for (std::uint32_t h = 0; h < 0x10000; ++h) {
        const auto bits = static_cast<std::uint16_t>(h);
        const float f = half_to_float(bits);
        const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
        const double sign = (h & 0x8000) ? -1.0 : 1.0;
        if (e == 0x1f && m != 0) {
            REQUIRE(std::isnan(f));
            REQUIRE(std::signbit(f) == ((h & 0x8000) != 0));
            REQUIRE(float_to_half(f) == ((h & 0x8000) | 0x7e00));  // c10::Half's quiet NaN
            continue;
        }
        const double expect = e == 0x1f ? sign * INFINITY
                              : e == 0  ? sign * std::ldexp(m, -24)
                                        : sign * std::ldexp(1024 + m, e - 25);
        REQUIRE(static_cast<double>(f) == expect);
        REQUIRE(std::signbit(f) == ((h & 0x8000) != 0));
        REQUIRE(float_to_half(f) == bits);
    }
}

TEST_CASE("dtype: float to F16 rounds to nearest even between every pair of neighbours", "[checkpoint]") {
    for (std::uint16_t h = 0; h < 0x7bff; ++h) {  // positive finite halves and the next one up
        const float lo = half_to_float(h), hi = half_to_float(static_cast<std::uint16_t>(h + 1));
        const float mid = (lo + hi) / 2;  // exact: a half has 11 significant bits, a float 24
        REQUIRE(float_to_half(mid) == ((h & 1) ? h + 1 : h));
        REQUIRE(float_to_half(std::nextafter(mid, 0.0f)) == h);
        REQUIRE(float_to_half(std::nextafter(mid, INFINITY)) == h + 1);
        REQUIRE(float_to_half(-mid) == (0x8000 | ((h & 1) ? h + 1 : h)));
    }
    CHECK(float_to_half(65519.996f) == 0x7bff);
    CHECK(float_to_half(65520.0f) == 0x7c00);  // halfway to the next power: inf
}

TEST_CASE("dtype: F16 and BF16 bits match PyTorch's for probes; F64 overflows to inf", "[checkpoint]") {
    const auto& probe = ref("dtype/probe_bits");
    const auto& f16 = ref("dtype/probe_f16_bits");
    const auto& bf16 = ref("dtype/probe_bf16_bits");
    REQUIRE(probe.size() == f16.size());
    for (std::size_t i = 0; i < probe.size(); ++i) {
        const float v = std::bit_cast<float>(static_cast<std::uint32_t>(probe[i]));
        INFO("probe " << v);
        CHECK(float_to_half(v) == static_cast<std::uint16_t>(f16[i]));
        CHECK(float_to_bfloat16(v) == static_cast<std::uint16_t>(bf16[i]));
    }
    const auto& half_bits = ref("dtype/half_bits");
    const auto& widened = ref("dtype/half_as_f32_bits");
    for (std::size_t i = 0; i < half_bits.size(); ++i)
        CHECK(std::bit_cast<std::uint32_t>(half_to_float(static_cast<std::uint16_t>(half_bits[i]))) == widened[i]);
    for (std::uint32_t b = 0; b < 0x10000; ++b)
        REQUIRE(std::bit_cast<std::uint32_t>(bfloat16_to_float(static_cast<std::uint16_t>(b))) == b << 16);
    CHECK(float_to_bfloat16(NAN) == 0x7fc0);
    CHECK(double_to_float(1e300) == INFINITY);
    CHECK(double_to_float(-1e300) == -INFINITY);
    CHECK(double_to_float(3.40282356e38) == 3.4028234663852886e38f);  // just below the tie: FLT_MAX
    CHECK(double_to_float(3.4028235677973366e38) == INFINITY);        // the tie: to the even, inf
    CHECK(double_to_float(0.1) == 0.1f);
    CHECK(std::isnan(double_to_float(NAN)));
}

TEST_CASE("safetensors: every PyTorch dtype is read as float32 and written back in its dtype", "[checkpoint]") {
    struct Row {
        const char* dtype;
        std::string bytes;
        std::vector<float> values;
    };
    auto le = [](std::uint64_t v, int n) {
        std::string s;
        for (int i = 0; i < n; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
        return s;
    };
    const std::vector<Row> rows = {
        {"F16", le(0x3c00, 2) + le(0x0001, 2), {1.0f, 0x1p-24f}},
        {"BF16", le(0x3f80, 2) + le(0xc040, 2), {1.0f, -3.0f}},
        {"F64",
         le(std::bit_cast<std::uint64_t>(0.1), 8) + le(std::bit_cast<std::uint64_t>(-1e300), 8),
         {0.1f, -INFINITY}},
        // 2^24 + 1 has no float: it rounds to 2^24 (a BatchNorm counter beyond 16.7M batches)
        {"I64", le(static_cast<std::uint64_t>(-7), 8) + le((1u << 24) + 1, 8), {-7.0f, 16777216.0f}},
        {"I32", le(static_cast<std::uint32_t>(-70000), 4) + le(3, 4), {-70000.0f, 3.0f}},
        {"I16", le(static_cast<std::uint16_t>(-300), 2) + le(300, 2), {-300.0f, 300.0f}},
        {"I8", le(0x80, 1) + le(0x7f, 1), {-128.0f, 127.0f}},
        {"U8", le(0xff, 1) + le(0, 1), {255.0f, 0.0f}},
        {"BOOL", le(1, 1) + le(0, 1), {1.0f, 0.0f}},
    };
    for (const Row& row : rows) {
        INFO(row.dtype);
        const std::string json = std::string(R"({"t":{"dtype":")") + row.dtype + R"(","shape":[2],"data_offsets":[0,)" +
                                 std::to_string(row.bytes.size()) + "]}}";
        const safetensors::File file = safetensors::from_bytes(with_header(json, row.bytes), "dtypes");
        REQUIRE(file.tensors.size() == 1);
        CHECK(std::string(dtype_name(file.dtype("t"))) == row.dtype);
        for (std::size_t i = 0; i < 2; ++i) CHECK(file.tensors[0].second(i) == row.values[i]);
        if (std::string(row.dtype) == "F64" || std::string(row.dtype) == "I64") continue;  // rounded on reading
        const std::string again = safetensors::to_bytes(file);  // written in the dtype it was read as
        CHECK(again.substr(again.size() - row.bytes.size()) == row.bytes);
    }
    safetensors::File bad;
    bad.tensors.emplace_back("n", Array{2.5f});
    bad.dtypes["n"] = Dtype::I64;
    CHECK_THROWS_WITH(safetensors::to_bytes(bad),
                      Catch::Contains("tensor 'n' element 0 is 2.5, which I64 can't hold exactly"));
    bad.tensors[0].second(0) = 256.0f;
    bad.dtypes["n"] = Dtype::U8;
    CHECK_THROWS_WITH(safetensors::to_bytes(bad), Catch::Contains("256, which U8 can't hold"));
    bad.tensors[0].second(0) = NAN;
    bad.dtypes["n"] = Dtype::I32;
    CHECK_THROWS_WITH(safetensors::to_bytes(bad), Catch::Contains("nan, which I32 can't hold"));
    const std::string two =
        with_header(R"({"b":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})", std::string("\x01\x00\x02", 3));
    const std::size_t byte = two.size() - 1;
    CHECK_THROWS_WITH(
        safetensors::from_bytes(two, "bool.safetensors"),
        Catch::Contains("tensor 'b': BOOL element 2 at byte " + std::to_string(byte) + " is 2, not 0 or 1"));
}

TEST_CASE("safetensors: a key twice in the header is an error naming it and its byte, as PyTorch's reader",
          "[checkpoint][errors]") {
    const std::string entry = R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
    const std::string json = R"({"w":)" + entry + R"(,"w":)" + entry + "}";
    const std::size_t second = 8 + json.rfind("\"w\"");
    CHECK_THROWS_WITH(safetensors::from_bytes(with_header(json, std::string(4, '\0')), "dup.safetensors"),
                      Catch::Contains("dup.safetensors: the header has the key 'w' twice (again at byte " +
                                      std::to_string(second) + ")"));
    // The same key spelled with an escape, and a key twice inside an entry.
    const std::string escaped = R"({"w":)" + entry + R"(,"\u0077":)" + entry + "}";
    CHECK_THROWS_WITH(safetensors::from_bytes(with_header(escaped, std::string(4, '\0')), "dup"),
                      Catch::Contains("the key 'w' twice"));
    const std::string inner = R"({"w":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
    CHECK_THROWS_WITH(safetensors::from_bytes(with_header(inner, std::string(4, '\0')), "dup"),
                      Catch::Contains("the key 'dtype' twice"));
    // The fuzz corpus holds this file too (tests/fuzz/corpus/safetensors/duplicate_key).
    const std::string corpus = read_all(test::source_path("tests/fuzz/corpus/safetensors/duplicate_key"));
    CHECK_THROWS_WITH(safetensors::from_bytes(corpus, "corpus"), Catch::Contains("twice"));
    CHECK_THROWS_WITH(safetensors::load(test::source_path("tests")), Catch::Contains("not a regular file"));
}

// Found by fuzz_safetensors: nlohmann's parser stops at a NUL, so a header "{...}\0...}}" parsed,
// and the duplicate-key scan then ran past the object's end and popped an empty stack (a heap
// overflow under ASan). Bytes after the header object other than padding spaces are an error.
// Found by fuzz_safetensors: the writer lays wide dtypes first, so an empty F64 tensor landed at
// byte 0 beside an F32 one starting there, and the reader's coverage check (sorted by begin only)
// refused the file it had just written.
TEST_CASE("safetensors: an empty tensor sharing its offset with another round-trips", "[checkpoint]") {
    safetensors::File file;
    Array scalar = Array::from_shape(std::vector<std::size_t>{});
    scalar() = 3.0f;
    file.tensors.emplace_back("s", std::move(scalar));
    const std::vector<std::size_t> empty_shape{0, 4};
    file.tensors.emplace_back("e", Array::from_shape(empty_shape));
    file.dtypes["e"] = Dtype::F64;
    const safetensors::File back = safetensors::from_bytes(safetensors::to_bytes(file), "round trip");
    REQUIRE(back.tensors.size() == 2);
    CHECK(back.tensors[0].second() == 3.0f);
    const auto& e = back.tensors[1].second;
    CHECK((e.dimension() == 2 && e.shape()[0] == 0 && e.shape()[1] == 4));
    const std::string found = read_all(test::source_path("tests/fuzz/corpus/safetensors/regression-empty-f64-at-0"));
    CHECK_NOTHROW(safetensors::from_bytes(safetensors::to_bytes(safetensors::from_bytes(found, "corpus")), "again"));
}

TEST_CASE("safetensors: bytes after the header's JSON object are refused, naming where", "[checkpoint][errors]") {
    const std::string entry = R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
    CHECK_THROWS_WITH(safetensors::from_bytes(
                          with_header(R"({"w":)" + entry + "}" + std::string("\0}}", 3), std::string(4, '\0')), "junk"),
                      Catch::Contains("header has bytes after its JSON object, from byte"));
    CHECK_NOTHROW(safetensors::from_bytes(with_header(R"({"w":)" + entry + "}   ", std::string(4, '\0')), "spaces"));
    const std::string found =
        read_all(test::source_path("tests/fuzz/corpus/safetensors/regression-nul-then-closing-braces"));
    CHECK_THROWS_WITH(safetensors::from_bytes(found, "corpus"), Catch::Contains("after its JSON object"));
}

// ---------------------------------------------------------------- PyTorch's own files

TEST_CASE("checkpoint: PyTorch's Conv2d/BatchNorm state dicts load strictly and give PyTorch's output",
          "[checkpoint]") {
    const Tensor x = ref_tensor("convbn/input", {4, 2, 4, 4});
    for (const std::string kind : {"f32", "mixed"}) {
        INFO(kind);
        const std::string path = test::source_path("tests/reference/torch_convbn_" + kind + ".safetensors");
        auto model = convbn();
        const nn::IncompatibleKeys keys = nn::load(model, path);  // strict
        CHECK(keys.missing_keys.empty());
        CHECK(keys.unexpected_keys.empty());
        CHECK(model.at<nn::BatchNorm1d>(5).num_batches_tracked.item() == 3.0f);
        model.eval();
        NoGradGuard no_grad;
        CHECK(test::all_close(model(x), ref_tensor("convbn/" + kind + "/output", {4, 5}), 1e-5f));
    }
    const StateDict mixed = xg::load(test::source_path("tests/reference/torch_convbn_mixed.safetensors"));
    CHECK(mixed.dtype("0.weight") == Dtype::BF16);
    CHECK(mixed.dtype("4.weight") == Dtype::F16);
    CHECK(mixed.dtype("5.running_var") == Dtype::F64);
    CHECK(mixed.dtype("5.num_batches_tracked") == Dtype::I64);
}

TEST_CASE("checkpoint: nn::save writes num_batches_tracked as I64 and PyTorch's file round-trips both ways",
          "[checkpoint]") {
    auto model = convbn();
    nn::load(model, test::source_path("tests/reference/torch_convbn_f32.safetensors"));
    const std::string path = test::temp_path("convbn.safetensors");
    nn::save(model, path);
    const safetensors::File ours = safetensors::load(path);
    const safetensors::File theirs =
        safetensors::load(test::source_path("tests/reference/torch_convbn_f32.safetensors"));
    REQUIRE(ours.tensors.size() == theirs.tensors.size());
    for (const auto& [name, values] : theirs.tensors) {
        INFO(name);
        CHECK(ours.dtype(name) == theirs.dtype(name));  // F32, and I64 for the counters
        const auto it =
            std::find_if(ours.tensors.begin(), ours.tensors.end(), [&](const auto& e) { return e.first == name; });
        REQUIRE(it != ours.tensors.end());
        CHECK(test::all_close(it->second, values, 0.0f));
    }
    // In state_dict order, as PyTorch's: own parameters, own buffers, then the children's.
    CHECK(ours.tensors[0].first == "0.weight");
    CHECK(ours.tensors[6].first == "1.num_batches_tracked");
    auto fresh = convbn();
    fresh.load_state_dict(xg::load(path));  // strict
    CHECK(test::all_close(fresh.at<nn::BatchNorm2d>(1).running_var, model.at<nn::BatchNorm2d>(1).running_var, 0.0f));
}

TEST_CASE("checkpoint: BatchNorm counts training batches; momentum=None is the cumulative average, as PyTorch",
          "[checkpoint]") {
    nn::BatchNorm1d bn(3, 1e-5f, std::nullopt);
    for (int step = 0; step < 4; ++step) bn(ref_tensor("bn_cumulative/batch" + std::to_string(step), {5, 3}));
    CHECK(bn.num_batches_tracked.item() == 4.0f);
    CHECK(test::all_close(bn.running_mean, ref_tensor("bn_cumulative/running_mean", {3}), 1e-5f));
    CHECK(test::all_close(bn.running_var, ref_tensor("bn_cumulative/running_var", {3}), 1e-4f));
    bn.eval();
    bn(Tensor::ones({2, 3}));
    CHECK(bn.num_batches_tracked.item() == 4.0f);  // eval doesn't count
    std::ostringstream s;
    s << bn;
    CHECK(s.str() == "BatchNorm1d(3, eps=1e-05, momentum=None, affine=true, track_running_stats=true)");
}

// ---------------------------------------------------------------- state_dict / load_state_dict

TEST_CASE("checkpoint: state_dict shares values (detached), clone() snapshots, load_state_dict copies in place",
          "[checkpoint]") {
    manual_seed(3);
    auto model = nn::Sequential(nn::Linear(3, 4), nn::BatchNorm1d(4), nn::ReLU(), nn::Linear(4, 2));
    StateDict dict = model.state_dict();
    CHECK(keys(dict) == std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                                 "1.running_var", "1.num_batches_tracked", "3.weight", "3.bias"});
    CHECK_FALSE(dict.at("0.weight").requires_grad());
    const StateDict snapshot = dict.clone();
    Tensor w = dict.at("0.weight");
    w.data()(0, 0) = 42.0f;  // shared: the model sees it, the snapshot doesn't
    CHECK(model.at<nn::Linear>(0).weight.data()(0, 0) == 42.0f);
    CHECK(snapshot.at("0.weight").data()(0, 0) != 42.0f);

    Tensor weight_before = model.at<nn::Linear>(0).weight;  // an optimizer's handle
    model.load_state_dict(snapshot);
    CHECK(model.at<nn::Linear>(0).weight.impl() == weight_before.impl());  // the same tensor, new values
    CHECK(test::all_close(model.at<nn::Linear>(0).weight, snapshot.at("0.weight"), 0.0f));
    CHECK(model.at<nn::Linear>(0).weight.requires_grad());
    model.load_state_dict(model.state_dict());  // its own values: a no-op
    CHECK(test::all_close(model.at<nn::Linear>(0).weight, snapshot.at("0.weight"), 0.0f));
}

TEST_CASE("checkpoint: strict load names every missing and unexpected key; non-strict returns them",
          "[checkpoint][errors]") {
    auto model = nn::Sequential(nn::Linear(2, 2), nn::BatchNorm1d(2));
    StateDict dict = model.state_dict().clone();
    dict.tensors.erase(dict.tensors.begin() + 1);  // 0.bias
    dict.add("extra.weight", Tensor::zeros({1}));
    nn::init::constant_(dict.tensors[0].second, 7.0f);
    const Tensor before = model.at<nn::Linear>(0).weight.detach().clone();
    CHECK_THROWS_WITH(model.load_state_dict(dict),
                      Catch::Contains("Error(s) in loading state_dict for Sequential:") &&
                          Catch::Contains("Missing key(s) in state_dict: \"0.bias\".") &&
                          Catch::Contains("Unexpected key(s) in state_dict: \"extra.weight\"."));
    CHECK(test::all_close(model.at<nn::Linear>(0).weight, before, 0.0f));  // nothing changed

    const nn::IncompatibleKeys result = model.load_state_dict(dict, false);
    CHECK(result.missing_keys == std::vector<std::string>{"0.bias"});
    CHECK(result.unexpected_keys == std::vector<std::string>{"extra.weight"});
    CHECK(model.at<nn::Linear>(0).weight.data()(0, 0) == 7.0f);  // what matched was loaded

    StateDict wrong = model.state_dict().clone();
    wrong.tensors[0].second = Tensor::zeros({3, 2});
    const Tensor kept = model.at<nn::Linear>(0).bias.detach().clone();
    wrong.tensors[1].second.data().fill(5.0f);
    CHECK_THROWS_WITH(model.load_state_dict(wrong, false),  // a shape mismatch fails even when not strict
                      Catch::Contains("size mismatch for 0.weight: copying a param with shape [3, 2] from checkpoint, "
                                      "the shape in current model is [2, 2]."));
    CHECK(test::all_close(model.at<nn::Linear>(0).bias, kept, 0.0f));

    // A BatchNorm state without num_batches_tracked (older files) loads strictly, the count set to 0.
    model.at<nn::BatchNorm1d>(1).num_batches_tracked.data().fill(9.0f);
    StateDict old = model.state_dict().clone();
    old.tensors.pop_back();
    REQUIRE(keys(old).back() == "1.running_var");
    model.load_state_dict(old);
    CHECK(model.at<nn::BatchNorm1d>(1).num_batches_tracked.item() == 0.0f);
}

TEST_CASE("checkpoint: a model's state dict round-trips through xg::save and xg::load, inside a run's file",
          "[checkpoint]") {
    manual_seed(5);
    auto model = convbn();
    model(Tensor::randn({4, 2, 4, 4}));  // training: running stats and counters move
    StateDict run;
    run.insert("model", model.state_dict());
    run.metadata["epoch"] = "2";
    run.metadata["rng"] = get_rng_state();
    const std::string path = test::temp_path("run.safetensors");
    xg::save(run, path);
    const StateDict back = xg::load(path);
    CHECK(back.dtype("model.5.num_batches_tracked") == Dtype::I64);
    CHECK(back.dtype("model.4.weight") == Dtype::F32);
    auto fresh = convbn();
    fresh.load_state_dict(back.sub("model"));
    for (const auto& [name, t] : model.state_dict().tensors)
        CHECK(test::all_close(fresh.state_dict().at(name), t, 0.0f));
    CHECK(back.meta("epoch") == "2");
    set_rng_state(back.meta("rng"));
}

// ---------------------------------------------------------------- clone

namespace {
// Adds 1 to every parameter and buffer of `m` in place.
void bump(nn::Module& m) {
    for (auto& [_, t] : m.state_dict().tensors) t.data() += 1.0f;
}
}  // namespace

TEST_CASE("clone: every built-in layer's clone keeps its output when the original changes", "[checkpoint]") {
    struct Row {
        std::string name;
        std::function<nn::ModulePtr()> make;  // the original
        std::function<nn::ModulePtr(nn::Module&)> clone;
        Shape input;
    };
    auto row = [](std::string name, auto layer, Shape input) {
        using L = decltype(layer);
        return Row{name, [layer] { return nn::ModulePtr(std::make_shared<L>(layer)); },
                   [](nn::Module& m) { return nn::ModulePtr(std::make_shared<L>(nn::clone(dynamic_cast<L&>(m)))); },
                   input};
    };
    const std::vector<Row> rows = {
        row("Linear", nn::Linear(3, 4), {2, 3}),
        row("Linear no bias", nn::Linear(3, 4, false), {2, 3}),
        row("Conv2d", nn::Conv2d(2, 3, 3, 1, 1), {1, 2, 5, 5}),
        row("ConvTranspose2d", nn::ConvTranspose2d(2, 3, 3, {.stride = 2, .output_padding = 1}), {1, 2, 3, 3}),
        row("ConvTranspose2d no bias", nn::ConvTranspose2d(2, 3, 2, {.bias = false}), {1, 2, 3, 3}),
        row("AdaptiveAvgPool2d", nn::AdaptiveAvgPool2d({2, 3}), {1, 2, 5, 5}),
        row("Upsample", nn::Upsample({.scale_factor = {2}, .mode = "bilinear"}), {1, 2, 3, 3}),
        row("Dropout2d", nn::Dropout2d(0.3f), {2, 3, 2, 2}),
        row("BatchNorm1d", nn::BatchNorm1d(3), {4, 3}),
        row("BatchNorm2d", nn::BatchNorm2d(2), {2, 2, 3, 3}),
        row("ReLU", nn::ReLU(), {2, 3}),
        row("LeakyReLU", nn::LeakyReLU(0.2f), {2, 3}),
        row("Sigmoid", nn::Sigmoid(), {2, 3}),
        row("Tanh", nn::Tanh(), {2, 3}),
        row("GELU", nn::GELU(), {2, 3}),
        row("Softmax", nn::Softmax(1), {2, 3}),
        row("LogSoftmax", nn::LogSoftmax(1), {2, 3}),
        row("Dropout", nn::Dropout(0.3f), {2, 3}),
        row("Flatten", nn::Flatten(), {2, 3, 2}),
        row("Identity", nn::Identity(), {2, 3}),
        row("MaxPool2d", nn::MaxPool2d(2), {1, 1, 4, 4}),
        row("AvgPool2d", nn::AvgPool2d(2), {1, 1, 4, 4}),
        row("Residual", nn::Residual(nn::Linear(3, 3)), {2, 3}),
        row("Sequential", nn::Sequential(nn::Linear(3, 4), nn::BatchNorm1d(4), nn::ReLU(), nn::Linear(4, 2)), {4, 3}),
        row("Net", Net(), {2, 4}),
    };
    for (const Row& r : rows) {
        INFO(r.name);
        manual_seed(7);
        nn::ModulePtr original = r.make();
        original->eval();  // deterministic: Dropout off, BatchNorm on its running statistics
        nn::ModulePtr copy = r.clone(*original);
        const Tensor x = Tensor::randn(r.input);
        const Tensor before = (*copy)(x);
        CHECK(test::all_close((*original)(x), before, 0.0f));
        bump(*original);
        original->train();
        CHECK_FALSE(copy->is_training());
        CHECK(test::all_close((*copy)(x), before, 0.0f));
        const auto theirs = original->named_parameters(), ours = copy->named_parameters();
        REQUIRE(theirs.size() == ours.size());
        for (std::size_t i = 0; i < ours.size(); ++i) {
            CHECK(ours[i].first == theirs[i].first);
            CHECK(ours[i].second.impl() != theirs[i].second.impl());
        }
    }
}

TEST_CASE("clone: the copy's Tensor and layer members are its own; types are kept", "[checkpoint]") {
    manual_seed(1);
    auto model = nn::Sequential(nn::Linear(2, 3), nn::BatchNorm1d(3));
    auto best = model.clone();
    static_assert(std::is_same_v<decltype(best), nn::Sequential>);
    auto& lin = best.at<nn::Linear>(0);
    CHECK(lin.weight.impl() == best.named_parameters()[0].second.impl());  // the member is the registry's (0.weight)
    CHECK(lin.weight.impl() != model.at<nn::Linear>(0).weight.impl());
    auto& bn = best.at<nn::BatchNorm1d>(1);
    CHECK(bn.num_batches_tracked.impl() == best.named_buffers()[2].second.impl());

    Net net;
    net.fc1.weight.requires_grad_(false);
    net(Tensor::ones({1, 4})).sum().backward();
    auto copy = nn::clone(net);
    static_assert(std::is_same_v<decltype(copy), Net>);
    auto copy2 = net.clone<Net>();
    CHECK(copy2.fc1.weight.impl() != net.fc1.weight.impl());
    const StateDict registry = copy.state_dict();  // detached: same values storage as the registry's tensors
    CHECK(copy.fc1.weight.storage() == registry.at("fc1.weight").storage());  // member and child agree
    CHECK(copy.scale.storage() == registry.at("scale").storage());            // the user's own Tensor member
    CHECK(copy.scale.impl() != net.scale.impl());
    CHECK_FALSE(copy.fc1.weight.requires_grad());  // kept, as deepcopy
    CHECK(copy.fc2.weight.requires_grad());
    CHECK_FALSE(copy.fc2.weight.grad().defined());  // no grad, as deepcopy of a Parameter
    Net alias = net;                                // a plain copy is still a handle
    CHECK(alias.fc1.weight.impl() == net.fc1.weight.impl());

    // Hooks: copied (the same function), each handle removes its own module's.
    int calls = 0;
    nn::HookHandle h = net.register_forward_hook([&](nn::Module&, const Tensor&, const Tensor&) { ++calls; });
    auto hooked = nn::clone(net);
    hooked(Tensor::ones({1, 4}));
    CHECK(calls == 1);
    h.remove();
    hooked(Tensor::ones({1, 4}));
    net(Tensor::ones({1, 4}));
    CHECK(calls == 2);

    // A tensor registered twice (tied weights) is one tensor in the clone too, listed under both
    // names by state_dict (as PyTorch's), once by parameters().
    struct Tied : nn::Module {
        nn::Linear a{3, 3, false};
        Tensor tied;
        Tied() {
            register_module("a", a);
            tied = register_parameter("tied", a.weight);
        }
        Tensor forward(const Tensor& x) override { return a(x).matmul(tied); }
    };
    Tied tied;
    auto twin = nn::clone(tied);
    CHECK(twin.tied.impl() == twin.a.weight.impl());
    CHECK(twin.tied.impl() != tied.tied.impl());
    CHECK(keys(twin.state_dict()) == std::vector<std::string>{"tied", "a.weight"});
    CHECK(twin.parameters().size() == 1);
}

TEST_CASE("clone: a child of unknown class and a cut-down copy are errors", "[checkpoint][errors]") {
    auto model = nn::Sequential(nn::Linear(2, 2));
    model.push_back(nn::ModulePtr(std::make_shared<nn::Linear>(2, 2)));
    CHECK_THROWS_WITH(model.clone(), Catch::Contains("child '1' (Linear) was added as a ModulePtr"));
    nn::BatchNorm1d bn(2);
    const nn::BatchNorm& base = bn;
    CHECK_THROWS_WITH(nn::clone(base), Catch::Contains("the module is a BatchNorm1d, passed as a BatchNorm"));
    CHECK_THROWS_WITH(static_cast<nn::Module&>(model).clone<nn::Linear>(),
                      Catch::Contains("the module is a Sequential"));
    nn::ModulePtr popped = nn::Sequential(nn::ReLU(), nn::Linear(2, 2)).pop();
    auto rebuilt = nn::Sequential(nn::ReLU());
    rebuilt.push_back(popped);  // made by a Sequential: its class is known
    CHECK_NOTHROW(rebuilt.clone());
}

// ---------------------------------------------------------------- requires_grad_, random state

TEST_CASE("requires_grad_: freezes and unfreezes a whole subtree, returns the module", "[checkpoint]") {
    auto encoder = nn::Sequential(nn::Linear(3, 4), nn::ReLU(), nn::Linear(4, 4));
    auto model = nn::Sequential(encoder, nn::Linear(4, 1));
    nn::Module& same = model[0].requires_grad_(false);
    CHECK(&same == &model[0]);
    for (const Tensor& p : encoder.parameters()) CHECK_FALSE(p.requires_grad());
    model(Tensor::ones({2, 3})).sum().backward();
    CHECK_FALSE(encoder.at<nn::Linear>(0).weight.grad().defined());
    CHECK(model.at<nn::Linear>(1).weight.grad().defined());
    model.requires_grad_();
    for (const Tensor& p : model.parameters()) CHECK(p.requires_grad());
}

TEST_CASE("random: set_rng_state(get_rng_state()) replays the same draws; bad states are errors",
          "[checkpoint][errors]") {
    manual_seed(11);
    Tensor::randn({5});
    const std::string state = get_rng_state();
    const Tensor a = Tensor::randn({100});
    const Tensor u = Tensor::rand({7});
    set_rng_state(state);
    CHECK(test::all_close(Tensor::randn({100}), a, 0.0f));
    CHECK(test::all_close(Tensor::rand({7}), u, 0.0f));
    CHECK(get_rng_state() != state);

    set_rng_state(state);
    CHECK_THROWS_WITH(set_rng_state("1 2 3"), Catch::Contains("holds 3 numbers, expected 312 words"));
    CHECK_THROWS_WITH(set_rng_state(state + " 5"), Catch::Contains("holds 314 numbers"));
    CHECK_THROWS_WITH(set_rng_state("x" + state), Catch::Contains("byte 0 of the state is not"));
    std::string bad_position = state.substr(0, state.rfind(' ')) + " 999";
    CHECK_THROWS_WITH(set_rng_state(bad_position), Catch::Contains("position 999"));
    // All words zero: the engine's fixed point (randn would loop forever); a corrupt file can hold it.
    std::string zeros;
    for (int i = 0; i < 312; ++i) zeros += "0 ";
    CHECK_THROWS_WITH(set_rng_state(zeros + "312"), Catch::Contains("all zero"));
    CHECK_THROWS_WITH(set_rng_state(zeros + "0"), Catch::Contains("all zero"));
    CHECK(test::all_close(Tensor::randn({100}), a, 0.0f));  // the failed sets changed nothing
}
