// Printing a Tensor as PyTorch's repr: tensor([[1.0000, 2.0000], ...]), and above 1000 elements
// PyTorch's summary: 3 items at each end of every dim around "...", values right-aligned.
#include <cmath>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "core/autograd.hpp"
#include "core/tensor.hpp"

namespace xg {

namespace {

// PyTorch's print options (torch.set_printoptions defaults).
constexpr std::size_t kThreshold = 1000;  // more elements than this are summarised
constexpr std::size_t kEdgeItems = 3;     // items kept at each end of a summarised dim
constexpr std::size_t kLineWidth = 80;    // summarised rows and suffixes wrap at this width

std::string fixed4(float v) {
    if (std::isnan(v)) return "nan";  // PyTorch's spelling; the stream writes "-nan" for 0/0
    std::ostringstream s;
    s << std::fixed << std::setprecision(4) << v;
    return s.str();
}

// Writes the values of a tensor, dim by dim, PyTorch's _tensor_str. Small tensors print every
// value unpadded on one line per row (xgrad's format); summarised ones follow PyTorch's layout:
// values padded to one width, "..." for the middle of each long dim, rows wrapped at 80 columns.
// Values always have 4 decimals (PyTorch switches to "1." or scientific notation by range).
class Printer {
public:
    explicit Printer(const Array& a) : a_(a), summarize_(a.size() > kThreshold) {
        if (summarize_) measure(0, 0);
    }

    // Dims [d, ndim) starting at `offset`, the first line indented by `indent` columns.
    void print(std::ostream& os, std::size_t d, std::size_t offset, std::size_t indent) const {
        const auto& shape = a_.shape();
        if (d == shape.size()) {
            os << value(a_.data()[offset]);
            return;
        }
        if (d + 1 == shape.size()) return print_row(os, offset, indent);
        const std::size_t stride = stride_of(d);
        std::string sep(1, ',');  // built by appending: GCC 12 warns (wrongly) on "," + std::string
        sep.append(shape.size() - d - 1, '\n').append(indent + 1, ' ');
        os << '[';
        bool first = true;
        for (std::ptrdiff_t i : picks(shape[d])) {
            if (!first) os << sep;
            first = false;
            if (i < 0) os << "...";
            else print(os, d + 1, offset + static_cast<std::size_t>(i) * stride, indent + 1);
        }
        os << ']';
    }

private:
    // The indices shown along a dim of n: all of them, or the edges with -1 for the "..." between.
    std::vector<std::ptrdiff_t> picks(std::size_t n) const {
        std::vector<std::ptrdiff_t> out;
        const bool cut = summarize_ && n > 2 * kEdgeItems;
        for (std::size_t i = 0; i < n; ++i) {
            if (cut && i == kEdgeItems) {
                out.push_back(-1);
                i = n - kEdgeItems - 1;
            } else {
                out.push_back(static_cast<std::ptrdiff_t>(i));
            }
        }
        return out;
    }

    std::size_t stride_of(std::size_t d) const {
        std::size_t stride = 1;
        for (std::size_t k = d + 1; k < a_.dimension(); ++k) stride *= a_.shape()[k];
        return stride;
    }

    // The width PyTorch's formatter pads to: the longest finite nonzero value shown (1 if none).
    void measure(std::size_t d, std::size_t offset) {
        if (d == a_.dimension()) {
            const float v = a_.data()[offset];
            if (std::isfinite(v) && v != 0.0f) width_ = std::max(width_, fixed4(v).size());
            return;
        }
        for (std::ptrdiff_t i : picks(a_.shape()[d])) {
            if (i >= 0) measure(d + 1, offset + static_cast<std::size_t>(i) * stride_of(d));
        }
    }

    std::string value(float v) const {
        std::string s = fixed4(v);
        return s.size() < width_ ? std::string(width_ - s.size(), ' ') + s : s;
    }

    // The last dim: items joined by ", "; summarised, " ..." stands for the middle and the items
    // wrap so that a line holds (80 - indent) / (width + 2) of them, as PyTorch's _vector_str.
    void print_row(std::ostream& os, std::size_t offset, std::size_t indent) const {
        std::vector<std::string> items;
        for (std::ptrdiff_t i : picks(a_.shape().back())) {
            items.push_back(i < 0 ? " ..." : value(a_.data()[offset + static_cast<std::size_t>(i)]));
        }
        const std::size_t per_line =
            summarize_ ? std::max<std::size_t>(1, (kLineWidth - std::min(indent, kLineWidth)) / (width_ + 2))
                       : items.size() + 1;
        os << '[';
        for (std::size_t k = 0; k < items.size(); ++k) {
            if (k && k % per_line) os << ", ";
            if (k && k % per_line == 0) os << ",\n" << std::string(indent + 1, ' ');
            os << items[k];
        }
        os << ']';
    }

    const Array& a_;
    bool summarize_;
    std::size_t width_ = 1;
};

}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
    if (!t.defined()) return os << "[ undefined Tensor ]";
    constexpr std::size_t indent = 7;  // "tensor("
    std::ostringstream s;
    s << "tensor(";
    Printer(t.data()).print(s, 0, 0, indent);
    std::string out = s.str();
    std::string suffix;
    if (t.grad_fn()) suffix = std::string("grad_fn=<") + t.grad_fn()->name + ">";
    else if (t.requires_grad()) suffix = "requires_grad=True";
    if (!suffix.empty()) {
        // PyTorch's _add_suffixes: on the last line if it fits in 80 columns, else on a new line.
        const std::size_t newline = out.rfind('\n');
        const std::size_t last_line = newline == std::string::npos ? out.size() + 2 : out.size() - newline + 1;
        if (last_line + suffix.size() + 2 > kLineWidth) out.append(",\n").append(indent, ' ');
        else out.append(", ");
        out.append(suffix);
    }
    return os << out << ')';
}

}  // namespace xg
