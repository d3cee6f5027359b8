// data::MNIST: the four standard IDX files of MNIST or Fashion-MNIST (the same format), raw or
// .gz, as torchvision.datasets.MNIST with ToTensor: images [N, 1, 28, 28] scaled to [0, 1],
// labels as class indices. Pixels stay bytes in memory until a batch is asked for.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.hpp"

namespace xg::data {

struct Normalize {  // x = (pixel / 255 - mean) / std, as transforms.Normalize
    float mean = 0.0f;
    float std = 1.0f;
};

class MNIST : public Dataset {
public:
    // root holds train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-... .
    MNIST(const std::string& root, bool train = true, std::optional<Normalize> normalize = std::nullopt);

    std::size_t size() const override { return images_->size() / (rows_ * cols_); }
    Batch get_batch(const std::vector<std::size_t>& indices) const override;
    std::size_t rows() const { return rows_; }
    std::size_t cols() const { return cols_; }
    std::uint8_t label(std::size_t i) const { return (*labels_)[i]; }

    // Where a file of this root is (raw or .gz), or an Error saying where it looked and how to
    // get the data.
    static std::string find_file(const std::string& root, const std::string& name);

private:
    std::shared_ptr<const std::vector<std::uint8_t>> images_, labels_;  // shared by copies
    std::size_t rows_ = 0, cols_ = 0;
    float scale_ = 1.0f / 255.0f, shift_ = 0.0f;  // x = byte * scale_ + shift_
};

}  // namespace xg::data
