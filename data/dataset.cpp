// TensorDataset and DataLoader.
#include "data/dataset.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "core/format.hpp"
#include "core/random.hpp"

namespace xg::data {

TensorDataset::TensorDataset(Tensor x, Tensor y) : x_(std::move(x)), y_(std::move(y)) {
    if (x_.dim() == 0 || y_.dim() == 0 || x_.shape()[0] != y_.shape()[0]) {
        throw Error("TensorDataset: x " + shape_str(x_.shape()) + " and y " + shape_str(y_.shape()) +
                    " need the same size in dim 0");
    }
}

std::size_t TensorDataset::size() const { return x_.shape()[0]; }

namespace {
Tensor rows(const Tensor& t, const std::vector<std::size_t>& indices) {
    Shape shape = t.shape();
    const std::size_t row = t.numel() / shape[0];
    shape[0] = indices.size();
    Array out = Array::from_shape(shape);
    for (std::size_t i = 0; i < indices.size(); ++i) {
        if (indices[i] >= t.shape()[0]) {
            throw Error("TensorDataset: index " + format_number(indices[i]) + " is out of range for " +
                        format_number(t.shape()[0]) + " examples");
        }
        std::memcpy(out.data() + i * row, t.data().data() + indices[i] * row, row * sizeof(float));
    }
    return Tensor(std::move(out));
}
}  // namespace

Subset::Subset(std::shared_ptr<const Dataset> dataset, std::vector<std::size_t> indices)
    : dataset_(std::move(dataset)), indices_(std::move(indices)) {
    for (std::size_t i : indices_) {
        if (i >= dataset_->size()) {
            throw Error("Subset: index " + format_number(i) + " is out of range for a dataset of " +
                        format_number(dataset_->size()) + " examples");
        }
    }
}

Batch Subset::get_batch(const std::vector<std::size_t>& indices) const {
    std::vector<std::size_t> inner(indices.size());
    for (std::size_t k = 0; k < indices.size(); ++k) {
        if (indices[k] >= indices_.size()) {
            throw Error("Subset: index " + format_number(indices[k]) + " is out of range for " +
                        format_number(indices_.size()) + " examples");
        }
        inner[k] = indices_[indices[k]];
    }
    return dataset_->get_batch(inner);
}

std::vector<std::size_t> first_n(std::size_t n) {
    std::vector<std::size_t> out(n);
    std::iota(out.begin(), out.end(), std::size_t{0});
    return out;
}

Batch TensorDataset::get_batch(const std::vector<std::size_t>& indices) const {
    return {rows(x_, indices), rows(y_, indices)};
}

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(options) {
    if (options_.batch_size == 0) throw Error("DataLoader: batch_size must be positive");
}

std::size_t DataLoader::size() const {
    const std::size_t n = dataset_->size(), b = options_.batch_size;
    return options_.drop_last ? n / b : (n + b - 1) / b;
}

DataLoader::iterator DataLoader::begin() const {
    auto order = std::make_shared<std::vector<std::size_t>>(dataset_->size());
    if (options_.shuffle) random::permutation(order->data(), order->size());
    else std::iota(order->begin(), order->end(), std::size_t{0});
    return iterator(this, std::move(order), 0);
}

DataLoader::iterator DataLoader::end() const { return iterator(this, nullptr, size()); }

DataLoader::iterator::iterator(const DataLoader* loader, std::shared_ptr<const std::vector<std::size_t>> order,
                               std::size_t batch)
    : loader_(loader), order_(std::move(order)), batch_(batch) {
    if (order_ && batch_ < loader_->size()) load();
}

DataLoader::iterator& DataLoader::iterator::operator++() {
    ++batch_;
    if (batch_ < loader_->size()) load();
    return *this;
}

void DataLoader::iterator::load() {
    const std::size_t b = loader_->options_.batch_size;
    const std::size_t first = batch_ * b, last = std::min(first + b, order_->size());
    std::vector<std::size_t> indices(order_->begin() + static_cast<std::ptrdiff_t>(first),
                                     order_->begin() + static_cast<std::ptrdiff_t>(last));
    current_ = loader_->dataset_->get_batch(indices);
}

}  // namespace xg::data
