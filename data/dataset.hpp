// Datasets and the DataLoader (torch.utils.data's roles): a Dataset serves batches by index;
// a DataLoader walks it in (optionally shuffled) batches: for (auto& [x, y] : loader) {...}.
#pragma once

#include <cstddef>
#include <memory>
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
    DataLoaderOptions options_;
};

}  // namespace xg::data
