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

// The most data one IDX file may hold (2 GiB, 40 times MNIST's training images): a header
// claiming more is an error before anything is allocated.
inline constexpr std::uint64_t max_idx_data_bytes = std::uint64_t{1} << 31;

// Parses raw IDX bytes. Checks the magic, the dims count against `expected_dims`, that the
// dims multiply to no more than the bytes present, and that the length is exact. Errors name
// `what` (the file) and the byte offset.
IdxFile parse_idx(const std::string& bytes, std::size_t expected_dims, const std::string& what);

// Parses gzip-compressed IDX bytes without inflating more than the header says the data needs
// (a gzip bomb is refused after its header, not after gigabytes), plus one byte to catch
// trailing data. Also an error: a corrupt or truncated stream, a header claiming more than the
// compressed size can inflate to, and anything after the gzip stream (garbage or a second member).
IdxFile parse_idx_gz(const std::string& compressed, std::size_t expected_dims, const std::string& what);

// The IDX file at `path`, raw or gzipped (told apart by the gzip magic 1f 8b). Only a regular
// file is read: a directory, a device or a FIFO is an error naming it.
IdxFile read_idx(const std::string& path, std::size_t expected_dims);

}  // namespace xg::data
