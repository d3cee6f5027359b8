// Reading a user-named file whole, safely: only a regular file is read, and it is checked before
// a single byte is, so a directory, /dev/zero or a FIFO gives an error naming it, never a hang.
#pragma once

#include <cstdint>
#include <string>

namespace xg {

// The bytes of the regular file `path` (symlinks followed). Errors start with `who` ("IDX",
// "safetensors") and name the path: it can't be opened (and why), it is a directory, a device,
// a FIFO or a socket, it is larger than `max_bytes` (UINT64_MAX: only memory limits it), or it
// shrank while being read.
std::string read_regular_file(const std::string& who, const std::string& path, std::uint64_t max_bytes);

}  // namespace xg
