// MNIST / Fashion-MNIST from IDX files, validated, with images and labels checked against each other.
#include "data/mnist.hpp"

#include <filesystem>

#include "core/error.hpp"
#include "core/format.hpp"
#include "core/simd.hpp"
#include "data/idx.hpp"

namespace xg::data {

namespace {
// dst = src · scale + shift: bytes to floats, vectorised (the pointers never alias).
XGRAD_TARGET_CLONES void bytes_to_floats(const std::uint8_t* __restrict src, float* __restrict dst, std::size_t n,
                                         float scale, float shift) {
    for (std::size_t p = 0; p < n; ++p) dst[p] = static_cast<float>(src[p]) * scale + shift;
}
}  // namespace

std::string MNIST::find_file(const std::string& root, const std::string& name) {
    namespace fs = std::filesystem;
    for (const std::string& candidate : {name, name + ".gz"}) {
        // A name that exists but isn't a regular file (a directory, a FIFO, a link to /dev/zero)
        // is returned too: read_idx then says what it is, rather than "no such file" here.
        const fs::path p = fs::path(root) / candidate;
        std::error_code ec;
        if (fs::exists(p, ec)) return p.string();
    }
    throw Error("MNIST: no " + name + " or " + name + ".gz in '" + root +
                "'. Fashion-MNIST comes with Debian's dataset-fashion-mnist package "
                "(apt-get install dataset-fashion-mnist; it installs /usr/share/datasets/fashion-mnist), "
                "and scripts/download-mnist.sh fetches the MNIST digits and checks their checksums.");
}

MNIST::MNIST(const std::string& root, bool train, std::optional<Normalize> normalize) {
    const std::string prefix = train ? "train" : "t10k";
    const std::string image_path = find_file(root, prefix + "-images-idx3-ubyte");
    const std::string label_path = find_file(root, prefix + "-labels-idx1-ubyte");
    IdxFile images = read_idx(image_path, 3);
    IdxFile labels = read_idx(label_path, 1);
    if (images.dims[0] != labels.dims[0]) {
        throw Error("MNIST: " + image_path + " has " + format_number(images.dims[0]) + " images but " + label_path +
                    " has " + format_number(labels.dims[0]) + " labels");
    }
    if (images.dims[1] == 0 || images.dims[2] == 0) throw Error("MNIST: " + image_path + " has empty images");
    for (std::size_t i = 0; i < labels.values.size(); ++i) {
        if (labels.values[i] > 9) {
            throw Error("MNIST: " + label_path + ": label " + format_number(labels.values[i]) + " at byte " +
                        format_number(8 + i) + " is not a digit class 0-9");
        }
    }
    rows_ = images.dims[1];
    cols_ = images.dims[2];
    images_ = std::make_shared<const std::vector<std::uint8_t>>(std::move(images.values));
    labels_ = std::make_shared<const std::vector<std::uint8_t>>(std::move(labels.values));
    if (normalize) {
        if (!(normalize->std > 0.0f)) throw Error("MNIST: Normalize std must be positive");
        scale_ = 1.0f / (255.0f * normalize->std);
        shift_ = -normalize->mean / normalize->std;
    }
}

// [B, 1, rows, cols] floats and [B] labels, built from the bytes of the picked examples only.
Batch MNIST::get_batch(const std::vector<std::size_t>& indices) const {
    const std::size_t pixels = rows_ * cols_;
    Array x = Array::from_shape({indices.size(), 1, rows_, cols_});
    Array y = Array::from_shape({indices.size()});
    for (std::size_t i = 0; i < indices.size(); ++i) {
        if (indices[i] >= size()) {
            throw Error("MNIST: index " + format_number(indices[i]) + " is out of range for " + format_number(size()) +
                        " examples");
        }
        bytes_to_floats(images_->data() + indices[i] * pixels, x.data() + i * pixels, pixels, scale_, shift_);
        y(i) = static_cast<float>((*labels_)[indices[i]]);
    }
    return {Tensor(std::move(x)), Tensor(std::move(y))};
}

}  // namespace xg::data
