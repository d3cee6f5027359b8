// libFuzzer target: the safetensors reader on arbitrary bytes. A file it accepts must survive
// a write (in the dtypes it was read as) and a second read unchanged; anything but that or an xg::Error is a bug.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/error.hpp"
#include "core/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    xg::safetensors::File file;
    try {
        file = xg::safetensors::from_bytes(bytes, "fuzz");
    } catch (const xg::Error&) {
        return 0;
    }
    // Accepted: sort by offset order is not preserved, so compare by name and values.
    const xg::safetensors::File again = xg::safetensors::from_bytes(xg::safetensors::to_bytes(file), "round trip");
    if (again.tensors.size() != file.tensors.size() || again.metadata != file.metadata) __builtin_trap();
    for (std::size_t i = 0; i < file.tensors.size(); ++i) {
        const auto& [name, a] = file.tensors[i];
        const auto& [name2, b] = again.tensors[i];
        if (name != name2 || a.shape() != b.shape()) __builtin_trap();
        if (file.dtype(name) != again.dtype(name2)) __builtin_trap();
        for (std::size_t k = 0; k < a.size(); ++k) {
            // A NaN may come back as the dtype's canonical NaN (F16 0x7E00, BF16 0x7FC0), as in PyTorch.
            if (std::isnan(a.data()[k]) && std::isnan(b.data()[k])) continue;
            if (std::memcmp(a.data() + k, b.data() + k, sizeof(float)) != 0) __builtin_trap();
        }
    }
    return 0;
}
