// The safetensors file format: an 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
// "__metadata__": {"key": "value"}}, then the raw little-endian data. nn::save/load, xg::save/load
// and the optimizers' state files use it, so weights move between xgrad and PyTorch
// (safetensors.torch.save_file / load_file) both ways.
//
// Every dtype PyTorch's state dicts use is read (F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL)
// and converted to float32, xgrad's one value type (core/dtype.hpp has the rules). Integers
// beyond 2^24 are rounded to the nearest float: a BatchNorm's num_batches_tracked above 2^24
// (16.7M batches) does not come back exact. File::dtypes records what each tensor was, and says
// what to write it as.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/dtype.hpp"
#include "core/xt.hpp"

namespace xg::safetensors {

struct File {
    std::vector<std::pair<std::string, Array>> tensors;  // in file order
    std::map<std::string, std::string> metadata;
    // Each tensor's dtype in the file read; what to write it as (a tensor not listed: F32). To an
    // integer or BOOL dtype, every value must be exact there (integral, in range): else an Error.
    std::map<std::string, Dtype> dtypes;

    Dtype dtype(const std::string& name) const {
        auto it = dtypes.find(name);
        return it == dtypes.end() ? Dtype::F32 : it->second;
    }
};

// Serialises to bytes / parses bytes. `what` names the source in errors (a path). Parsing
// checks everything before it trusts it: header length, JSON, no key twice in an object (as
// PyTorch's reader), dtype, shapes, offsets inside the data and matching the shape, no overlaps
// or gaps, BOOL bytes 0 or 1; a failure throws xg::Error naming `what`, the tensor and the byte
// offset.
std::string to_bytes(const File& file);
File from_bytes(const std::string& bytes, const std::string& what);

void save(const File& file, const std::string& path);
File load(const std::string& path);

}  // namespace xg::safetensors
