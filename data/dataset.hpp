// Datasets and the DataLoader (torch.utils.data's roles): a Dataset serves batches by index;
// a DataLoader walks it in (optionally shuffled) batches: for (auto& [x, y] : loader) {...}.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/tensor.hpp"

namespace xg::data {

struct Batch {
    Tensor x;  // inputs, batch first
    Tensor y;  // targets (class indices as floats for classification)
};

class Dataset {
public:
    virtual ~Dataset() = default;
    virtual std::size_t size() const = 0;
    // The examples at `indices`, stacked along a new first dim.
    virtual Batch get_batch(const std::vector<std::size_t>& indices) const = 0;
};

// Rows of two tensors with the same first dim, as torch.utils.data.TensorDataset(x, y).
class TensorDataset : public Dataset {
public:
    TensorDataset(Tensor x, Tensor y);
    std::size_t size() const override;
    Batch get_batch(const std::vector<std::size_t>& indices) const override;

private:
    Tensor x_, y_;
};

// The examples of `dataset` at `indices`, in that order, as torch.utils.data.Subset: a quick run on
// the first N images is Subset(mnist, first_n(N)). Shares the dataset (no copy of its data).
class Subset : public Dataset {
public:
    template <class D>
    Subset(D dataset, std::vector<std::size_t> indices)
        : Subset(std::shared_ptr<const Dataset>(std::make_shared<D>(std::move(dataset))), std::move(indices)) {}
    Subset(std::shared_ptr<const Dataset> dataset, std::vector<std::size_t> indices);
    std::size_t size() const override { return indices_.size(); }
    Batch get_batch(const std::vector<std::size_t>& indices) const override;

private:
    std::shared_ptr<const Dataset> dataset_;
    std::vector<std::size_t> indices_;
};

// 0, 1, ..., n - 1: the indices of a Subset of the first n examples.
std::vector<std::size_t> first_n(std::size_t n);

// The order a DataLoader visits a dataset in, one epoch at a time (torch.utils.data.Sampler):
// indices() is called once per epoch, when the loader's begin() starts it.
class Sampler {
public:
    virtual ~Sampler() = default;
    virtual std::vector<std::size_t> indices() const = 0;
    virtual std::size_t size() const = 0;  // indices per epoch, as len(sampler)
};

struct DistributedSamplerOptions {
    std::optional<std::size_t> num_replicas{};  // required: distributed::get_world_size()
    std::optional<std::size_t> rank{};          // required: distributed::get_rank()
    bool shuffle = true;
    std::uint64_t seed = 0;  // the same on every rank
    bool drop_last = false;
};

// This rank's share of a dataset, as torch.utils.data.distributed.DistributedSampler: each epoch
// the indices 0..n-1 (shuffled by a private generator seeded with seed + epoch, so every rank
// draws the same permutation) are padded by repeating the first ones up to a multiple of
// num_replicas (or, with drop_last, cut down to one), and rank r takes every num_replicas-th
// index from position r. The ranks' shares are disjoint and, without padding, cover every index.
// Call set_epoch(epoch) before each epoch, or every epoch has the same order.
// A handle, as modules are: copies share the epoch, so a DataLoader's copy sees set_epoch.
// The permutation comes from std::mt19937_64, not torch's generator: the same semantics, not
// PyTorch's order.
//   data::DistributedSampler sampler(train, {.num_replicas = size_t(world), .rank = size_t(rank)});
//   data::DataLoader loader(train, sampler, {.batch_size = 32});
//   for (int epoch = 1; ...) { sampler.set_epoch(epoch); for (auto& [x, y] : loader) ... }
class DistributedSampler : public Sampler {
public:
    DistributedSampler(std::size_t dataset_size, DistributedSamplerOptions options);
    DistributedSampler(const Dataset& dataset, DistributedSamplerOptions options)
        : DistributedSampler(dataset.size(), options) {}
    std::vector<std::size_t> indices() const override;
    std::size_t size() const override { return num_samples_; }  // per rank
    std::size_t total_size() const { return num_samples_ * num_replicas_; }
    void set_epoch(std::uint64_t epoch) { *epoch_ = epoch; }
    std::uint64_t epoch() const { return *epoch_; }

private:
    std::size_t dataset_size_, num_replicas_, rank_, num_samples_;
    DistributedSamplerOptions options_;
    std::shared_ptr<std::uint64_t> epoch_ = std::make_shared<std::uint64_t>(0);
};

struct DataLoaderOptions {
    std::size_t batch_size = 1;  // PyTorch's default
    bool shuffle = false;        // a new order each epoch, drawn from manual_seed's generator
    bool drop_last = false;      // drop a last batch smaller than batch_size
};

class DataLoader {
public:
    template <class D>
    DataLoader(D dataset, DataLoaderOptions options = {})
        : DataLoader(std::shared_ptr<const Dataset>(std::make_shared<D>(std::move(dataset))), options) {}
    DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options);
    // Batches in the sampler's order (a copy of the sampler, which for a DistributedSampler
    // shares its epoch). options.shuffle must be false: the sampler decides the order, as PyTorch's
    // "sampler option is mutually exclusive with shuffle".
    template <class D, std::derived_from<Sampler> S>
    DataLoader(D dataset, S sampler, DataLoaderOptions options = {})
        : DataLoader(std::shared_ptr<const Dataset>(std::make_shared<D>(std::move(dataset))),
                     std::shared_ptr<const Sampler>(std::make_shared<S>(std::move(sampler))), options) {}
    DataLoader(std::shared_ptr<const Dataset> dataset, std::shared_ptr<const Sampler> sampler,
               DataLoaderOptions options);

    std::size_t size() const;  // batches per epoch, as len(loader)
    const Dataset& dataset() const { return *dataset_; }
    const DataLoaderOptions& options() const { return options_; }

    class iterator {
    public:
        using value_type = Batch;
        using difference_type = std::ptrdiff_t;
        iterator() = default;
        iterator(const DataLoader* loader, std::shared_ptr<const std::vector<std::size_t>> order, std::size_t batch);
        Batch& operator*() { return current_; }
        Batch* operator->() { return &current_; }
        iterator& operator++();
        bool operator==(const iterator& o) const { return batch_ == o.batch_; }

    private:
        void load();
        const DataLoader* loader_ = nullptr;
        std::shared_ptr<const std::vector<std::size_t>> order_;
        std::size_t batch_ = 0;
        Batch current_;
    };
    iterator begin() const;  // starts an epoch (and draws a new order when shuffling)
    iterator end() const;

private:
    std::shared_ptr<const Dataset> dataset_;
    std::shared_ptr<const Sampler> sampler_;  // null: every index, in order or shuffled
    DataLoaderOptions options_;
};

}  // namespace xg::data
