// libFuzzer target: the IDX parser, raw and gzipped, on arbitrary bytes. Any outcome but a
// parsed file or an xg::Error (a crash, a sanitizer report, another exception) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "data/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    for (std::size_t dims : {1, 3}) {
        try {
            xg::data::IdxFile f = xg::data::parse_idx(bytes, dims, "fuzz");
            std::size_t count = 1;
            for (auto d : f.dims) count *= d;
            if (count != f.values.size()) __builtin_trap();
        } catch (const xg::Error&) {
        }
    }
    for (std::size_t dims : {1, 3}) {
        try {
            xg::data::IdxFile f = xg::data::parse_idx_gz(bytes, dims, "fuzz.gz");
            std::size_t count = 1;
            for (auto d : f.dims) count *= d;
            if (count != f.values.size()) __builtin_trap();
        } catch (const xg::Error&) {
        }
    }
    return 0;
}
