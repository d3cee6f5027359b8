// The IDX file format of (Fashion-)MNIST: big-endian magic (0x0000 08 NN: unsigned bytes, NN
// dims), NN big-endian uint32 dims, then the bytes. Files may be raw or gzip-compressed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xg::data {

struct IdxFile {
    std::vector<std::uint32_t> dims;   // e.g. [60000, 28, 28]
    std::vector<std::uint8_t> values;  // product(dims) bytes, row-major
};

// Parses IDX bytes (already decompressed). Checks the magic, the dims count against
// `expected_dims`, that the dims multiply to no more than the bytes present, and that the
// length is exact. Errors name `what` (the file) and the byte offset.
IdxFile parse_idx(const std::string& bytes, std::size_t expected_dims, const std::string& what);

// The whole file, gunzipped when it starts with the gzip magic (1f 8b). A missing file,
// a corrupt or truncated gzip stream is an Error naming the file.
std::string read_file_maybe_gz(const std::string& path);
std::string gunzip(const std::string& compressed, const std::string& what);

}  // namespace xg::data
