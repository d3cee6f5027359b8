// The safetensors file format (F32 tensors only): an 8-byte little-endian header length N, N
// bytes of JSON {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
// "__metadata__": {"key": "value"}}, then the raw data. nn::save/load and the optimizers'
// state files use it, so weights move between xgrad and PyTorch (safetensors.torch).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/xt.hpp"

namespace xg::safetensors {

struct File {
    std::vector<std::pair<std::string, Array>> tensors;  // in file order
    std::map<std::string, std::string> metadata;
};

// Serialises to bytes / parses bytes. `what` names the source in errors (a path). Parsing
// checks everything before it trusts it: header length, JSON, dtype, shapes, offsets inside
// the data and matching the shape, no overlaps or gaps; a failure throws xg::Error naming
// `what`, the tensor and the byte offset.
std::string to_bytes(const File& file);
File from_bytes(const std::string& bytes, const std::string& what);

void save(const File& file, const std::string& path);
File load(const std::string& path);

}  // namespace xg::safetensors
