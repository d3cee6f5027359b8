// IDX parsing and gzip decompression (zlib), validating every length before reading.
#include "data/idx.hpp"

#include <zlib.h>

#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/format.hpp"

namespace xg::data {

namespace {
constexpr std::size_t max_decompressed = std::size_t{1} << 31;  // 2 GiB: far above any MNIST-like file

std::string hex32(std::uint32_t v) {
    char buf[11];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

std::uint32_t be32(const std::string& b, std::size_t at) {
    return (std::uint32_t(std::uint8_t(b[at])) << 24) | (std::uint32_t(std::uint8_t(b[at + 1])) << 16) |
           (std::uint32_t(std::uint8_t(b[at + 2])) << 8) | std::uint32_t(std::uint8_t(b[at + 3]));
}
}  // namespace

IdxFile parse_idx(const std::string& bytes, std::size_t expected_dims, const std::string& what) {
    const std::uint32_t expected_magic = 0x00000800u | static_cast<std::uint32_t>(expected_dims);
    if (bytes.size() < 4) {
        throw Error("IDX: " + what + ": file is " + format_number(bytes.size()) +
                    " bytes, too short for the magic number");
    }
    const std::uint32_t magic = be32(bytes, 0);
    if (magic != expected_magic) {
        throw Error("IDX: " + what + ": bad magic " + hex32(magic) + " at byte 0 (expected " + hex32(expected_magic) +
                    ")");
    }
    const std::size_t header = 4 + 4 * expected_dims;
    if (bytes.size() < header) {
        throw Error("IDX: " + what + ": file ends at byte " + format_number(bytes.size()) + ", inside the header of " +
                    format_number(header) + " bytes");
    }
    IdxFile f;
    std::uint64_t count = 1;
    for (std::size_t d = 0; d < expected_dims; ++d) {
        const std::uint32_t n = be32(bytes, 4 + 4 * d);
        f.dims.push_back(n);
        count *= n;  // checked against the file size after every factor, so it stays below 2^63
        if (count > bytes.size()) {
            throw Error("IDX: " + what + ": dims at byte " + format_number(4 + 4 * d) + " need more than the " +
                        format_number(bytes.size() - header) + " data bytes the file has");
        }
    }
    if (bytes.size() - header != count) {
        throw Error("IDX: " + what + ": has " + format_number(bytes.size() - header) +
                    " data bytes after the header, dims need " + format_number(count) +
                    (bytes.size() - header < count ? " (truncated)" : " (trailing bytes)"));
    }
    f.values.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
    return f;
}

std::string gunzip(const std::string& in, const std::string& what) {
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw Error("gzip: " + what + ": zlib failed to start");
    std::string out;
    char buf[1 << 16];
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        zs.next_out = reinterpret_cast<Bytef*>(buf);
        zs.avail_out = sizeof buf;
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            const std::string msg =
                zs.msg ? zs.msg : (rc == Z_BUF_ERROR ? "unexpected end of data" : "error " + format_number(rc));
            const auto at = zs.total_in;
            inflateEnd(&zs);
            throw Error("gzip: " + what + ": corrupt or truncated at compressed byte " + format_number(at) + " (" +
                        msg + ")");
        }
        out.append(buf, sizeof buf - zs.avail_out);
        if (out.size() > max_decompressed) {
            inflateEnd(&zs);
            throw Error("gzip: " + what + ": decompresses to more than 2 GiB");
        }
        if (rc != Z_STREAM_END && zs.avail_in == 0 && zs.avail_out != 0) {
            const auto at = zs.total_in;
            inflateEnd(&zs);
            throw Error("gzip: " + what + ": truncated at compressed byte " + format_number(at));
        }
    }
    inflateEnd(&zs);
    return out;
}

std::string read_file_maybe_gz(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("can't open " + path);
    std::ostringstream s;
    s << in.rdbuf();
    std::string bytes = s.str();
    if (bytes.size() >= 2 && std::uint8_t(bytes[0]) == 0x1f && std::uint8_t(bytes[1]) == 0x8b)
        return gunzip(bytes, path);
    return bytes;
}

}  // namespace xg::data
