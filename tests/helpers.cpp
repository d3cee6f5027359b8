// The gradcheck table's registration with Catch2, and value comparison.
#include "helpers.hpp"

#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unistd.h>
#include <zlib.h>
#include <iostream>

namespace xg::test {

Stream::Stream(const std::string& seed) : state_(14695981039346656037ull) {
    for (unsigned char c : seed) state_ = (state_ ^ c) * 1099511628211ull;
}

std::uint64_t Stream::next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

namespace {

// Reference numbers from PyTorch per row: "row name<TAB>kind<TAB>values", kind being forward,
// grad.K (input K's gradient of Σ out·w) or grad2.K (input K's gradient of Σ_k Σ grad_k·u_k).
const std::map<std::string, std::vector<float>>& op_table() {
    return reference_table("ops.txt", "make_op_reference.py");
}

// Forward values, first-order and (for Order::second) second-order gradients against PyTorch,
// all computed as make_op_reference.py computes them.
void check_reference(const GradCase& gc, Order order) {
    std::vector<Tensor> x = make_inputs(gc);
    Tensor out = gc.fn(x);
    check_against("forward", out, op_reference(gc.name, "forward"), 1e-6f, 1e-5f);
    Stream ws(gc.name + "#w");
    const Tensor w = random_like(ws, out.shape());
    std::vector<Tensor> g =
        autograd::grad({sum(out * w)}, x, {.create_graph = order == Order::second, .allow_unused = true});
    Tensor s = Tensor::zeros({});
    for (std::size_t k = 0; k < x.size(); ++k) {
        const std::string kind = "grad." + std::to_string(k);
        check_against(kind, g[k].defined() ? g[k] : Tensor::zeros(x[k].shape()), op_reference(gc.name, kind), 1e-5f,
                      1e-4f);
        Stream us(gc.name + "#u" + std::to_string(k));
        if (g[k].defined()) s = s + sum(g[k] * random_like(us, x[k].shape()));
    }
    if (order != Order::second) return;
    std::vector<Tensor> h(x.size());
    if (s.requires_grad()) h = autograd::grad({s}, x, {.allow_unused = true});
    for (std::size_t k = 0; k < x.size(); ++k) {
        const std::string kind = "grad2." + std::to_string(k);
        check_against(kind, h[k].defined() ? h[k] : Tensor::zeros(x[k].shape()), op_reference(gc.name, kind), 1e-5f,
                      1e-4f);
    }
}

struct GradCaseInvoker : Catch::ITestInvoker {
    GradCaseInvoker(GradCase c, Order o, bool ref) : gc(std::move(c)), order(o), reference(ref) {}
    void invoke() const override {
        std::vector<Tensor> inputs = make_inputs(gc);
        CHECK_NOTHROW(autograd::gradcheck(gc.fn, inputs, 1e-3f, gc.atol, gc.rtol));
        if (order == Order::second) CHECK_NOTHROW(autograd::gradgradcheck(gc.fn, inputs, 1e-3f, gc.atol, gc.rtol));
        if (reference) check_reference(gc, order);
    }
    GradCase gc;
    Order order;
    bool reference;
};

bool register_cases(std::vector<GradCase> cases, Order order, bool reference) {
    static std::deque<std::string> names;  // Catch keeps StringRefs: the text must outlive main
    static std::deque<Catch::AutoReg> registrations;
    for (GradCase& c : cases) {
        names.push_back(c.name);
        // Catch's registry takes ownership of the invoker.
        registrations.emplace_back(new GradCaseInvoker(std::move(c), order, reference), CATCH_INTERNAL_LINEINFO,
                                   Catch::StringRef(), Catch::NameAndTags{Catch::StringRef(names.back()), "[grad]"});
    }
    return true;
}

}  // namespace

Tensor random_like(Stream& s, const Shape& shape) {
    Array a = Array::from_shape(shape);
    for (float& v : a) v = static_cast<float>(2.0 * s.uniform() - 1.0);
    return Tensor(std::move(a));
}

// |got - want| <= atol + rtol·|want| everywhere, naming the first element that isn't.
void check_against(const std::string& what, const Tensor& got, const std::vector<float>& want, float atol, float rtol) {
    INFO(what);
    REQUIRE(got.numel() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        const float x = got.data().data()[i], y = want[i];
        const bool same = std::abs(x - y) <= atol + rtol * std::abs(y) || (std::isnan(x) && std::isnan(y)) ||
                          (std::isinf(y) && x == y);
        if (!same) FAIL_CHECK(what << ": element " << i << " is " << x << ", PyTorch gives " << y);
        if (!same) return;
    }
}

const std::vector<float>& op_reference(const std::string& row, const std::string& kind) {
    const auto& table = op_table();
    auto it = table.find(row + "\t" + kind);
    if (it == table.end()) {
        throw Error("tests: no PyTorch reference '" + kind + "' for row '" + row +
                    "': add the row to tests/reference/make_op_reference.py and run it");
    }
    return it->second;
}

std::vector<Tensor> make_inputs(const GradCase& c) {
    Stream s(c.name);
    std::vector<Tensor> inputs;
    for (const Shape& shape : c.shapes) {
        Array a = Array::from_shape(shape);
        if (c.domain == Domain::distinct) {  // a ramp 0.1 apart, shuffled (Fisher-Yates)
            std::vector<float> ramp(a.size());
            for (std::size_t i = 0; i < ramp.size(); ++i) {
                ramp[i] = static_cast<float>(0.1 * static_cast<double>(i) - 0.05 * static_cast<double>(ramp.size()));
            }
            for (std::size_t i = ramp.size(); i-- > 1;) std::swap(ramp[i], ramp[s.next() % (i + 1)]);
            std::copy(ramp.begin(), ramp.end(), a.begin());
        } else {
            for (float& v : a) {
                const double r = s.uniform();
                switch (c.domain) {
                    case Domain::any: v = static_cast<float>(2.0 * r - 1.0); break;
                    case Domain::positive: v = static_cast<float>(0.5 + 1.5 * r); break;
                    case Domain::off_zero:
                        v = static_cast<float>((s.uniform() < 0.5 ? -1.0 : 1.0) * (0.2 + 0.8 * r));
                        break;
                    case Domain::distinct: break;
                }
            }
        }
        inputs.emplace_back(std::move(a), true);
    }
    return inputs;
}

bool register_grad_cases(std::vector<GradCase> cases, Order order) {
    return register_cases(std::move(cases), order, false);
}
bool register_op_cases(std::vector<GradCase> cases, Order order) {
    return register_cases(std::move(cases), order, true);
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

const std::map<std::string, std::vector<float>>& reference_table(const std::string& file, const std::string& script) {
    static std::map<std::string, std::map<std::string, std::vector<float>>> tables;
    auto [it, fresh] = tables.try_emplace(file);
    if (!fresh) return it->second;
    std::ifstream in(source_path("tests/reference/" + file));
    if (!in) throw Error("tests: can't read tests/reference/" + file + " (run tests/reference/" + script + ")");
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto tab1 = line.find('\t'), tab2 = line.find('\t', tab1 + 1);
        std::istringstream values(line.substr(tab2 + 1));
        std::vector<float>& v = it->second[line.substr(0, tab2)];
        for (double x; values >> x;) v.push_back(static_cast<float>(x));
    }
    return it->second;
}

std::string be32(std::uint32_t v) {
    return {char(v >> 24), char((v >> 16) & 0xff), char((v >> 8) & 0xff), char(v & 0xff)};
}

std::string gzip(const std::string& raw) {
    z_stream zs{};
    deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&zs, raw.size()) + 32, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
    zs.avail_in = static_cast<uInt>(raw.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

}  // namespace xg::test
