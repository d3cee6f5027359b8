// TensorDataset and DataLoader.
#include "data/dataset.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>

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

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, std::shared_ptr<const Sampler> sampler,
                       DataLoaderOptions options)
    : DataLoader(std::move(dataset), options) {
    if (options_.shuffle) {
        throw Error(
            "DataLoader: shuffle = true with a sampler; the sampler decides the order (shuffle it there, "
            "as DistributedSampler's .shuffle)");
    }
    sampler_ = std::move(sampler);
}

std::size_t DataLoader::size() const {
    const std::size_t n = sampler_ ? sampler_->size() : dataset_->size(), b = options_.batch_size;
    return options_.drop_last ? n / b : (n + b - 1) / b;
}

DataLoader::iterator DataLoader::begin() const {
    if (sampler_) return iterator(this, std::make_shared<const std::vector<std::size_t>>(sampler_->indices()), 0);
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

namespace xg::data {

DistributedSampler::DistributedSampler(std::size_t dataset_size, DistributedSamplerOptions options)
    : dataset_size_(dataset_size), options_(options) {
    if (!options.num_replicas || !options.rank) {
        throw Error(
            "DistributedSampler: pass .num_replicas and .rank (distributed::get_world_size() and "
            "distributed::get_rank()); the data library doesn't know the process group");
    }
    num_replicas_ = *options.num_replicas;
    rank_ = *options.rank;
    if (num_replicas_ == 0) throw Error("DistributedSampler: num_replicas must be at least 1");
    if (rank_ >= num_replicas_) {
        throw Error("DistributedSampler: invalid rank " + std::to_string(rank_) +
                    ", rank should be in the interval [0, " + std::to_string(num_replicas_ - 1) + "]");
    }
    // As PyTorch: with drop_last, the largest multiple of num_replicas that fits (the tail is
    // dropped so no rank gets a repeated index); without, the smallest that covers everything.
    const std::size_t n = dataset_size_, r = num_replicas_;
    num_samples_ = options.drop_last && n % r != 0 ? n / r : (n + r - 1) / r;
}

std::vector<std::size_t> DistributedSampler::indices() const {
    std::vector<std::size_t> all(dataset_size_);
    std::iota(all.begin(), all.end(), std::size_t{0});
    if (options_.shuffle) {
        std::mt19937_64 generator(options_.seed + *epoch_);  // private: the global generator is untouched
        std::shuffle(all.begin(), all.end(), generator);
    }
    const std::size_t total = total_size();
    if (total > all.size()) {  // pad by repeating from the start, as often as needed (n may be < replicas)
        all.reserve(total);
        for (std::size_t i = 0; all.size() < total; ++i) all.push_back(all[i]);
    }
    all.resize(total);  // with drop_last, the tail
    std::vector<std::size_t> mine;
    mine.reserve(num_samples_);
    for (std::size_t i = rank_; i < total; i += num_replicas_) mine.push_back(all[i]);
    return mine;
}

}  // namespace xg::data
