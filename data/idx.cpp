// IDX parsing, raw or through zlib, reading the header first so that no length is trusted
// before it is checked and no more is inflated than the header says the data needs.
#include "data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/format.hpp"

namespace xg::data {

namespace {

// Deflate's best case is a 258-byte match coded in 2 bits, 1032:1; a gzip file of S bytes can't
// inflate past this many times S, whatever its header claims.
constexpr std::uint64_t max_gzip_ratio = 1100;

// The largest file read_idx reads: the data cap, plus gzip's worst-case growth on incompressible
// data (5 bytes per 16 KiB stored block, under 1/1024) and the header.
constexpr std::uint64_t max_idx_file_bytes = max_idx_data_bytes + max_idx_data_bytes / 1024 + 4096;

std::string hex32(std::uint32_t v) {
    char buf[11];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

std::uint32_t be32(const std::uint8_t* b) {
    return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) | std::uint32_t(b[3]);
}

// Where the IDX bytes come from, read front to back: the file itself, or its inflated stream.
class Source {
public:
    virtual ~Source() = default;
    // Up to n bytes into dst; fewer only where the data ends.
    virtual std::size_t read(std::uint8_t* dst, std::size_t n) = 0;
    virtual std::string noun() const = 0;                    // "file", "decompressed data"
    virtual std::string at(std::uint64_t offset) const = 0;  // "byte 4", "decompressed byte 4"
};

class RawSource : public Source {
public:
    explicit RawSource(const std::string& bytes) : bytes_(bytes) {}
    std::size_t read(std::uint8_t* dst, std::size_t n) override {
        n = std::min(n, bytes_.size() - pos_);
        if (n > 0) std::memcpy(dst, bytes_.data() + pos_, n);
        pos_ += n;
        return n;
    }
    std::string noun() const override { return "file"; }
    std::string at(std::uint64_t offset) const override { return "byte " + format_number(offset); }

private:
    const std::string& bytes_;
    std::size_t pos_ = 0;
};

// A gzip stream inflated on demand, so that only what is asked for is ever produced.
class GzipSource : public Source {
public:
    GzipSource(const std::string& compressed, const std::string& what) : in_(compressed), what_(what) {
        if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) throw Error("gzip: " + what_ + ": zlib failed to start");
    }
    ~GzipSource() override { inflateEnd(&zs_); }
    GzipSource(const GzipSource&) = delete;
    GzipSource& operator=(const GzipSource&) = delete;

    std::size_t read(std::uint8_t* dst, std::size_t n) override {
        constexpr std::size_t step = std::size_t{1} << 30;  // zlib counts in 32-bit uInt
        std::size_t got = 0;
        while (got < n && !ended_) {
            if (zs_.avail_in == 0 && fed_ < in_.size()) {
                const std::size_t chunk = std::min(in_.size() - fed_, step);
                zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in_.data() + fed_));
                zs_.avail_in = static_cast<uInt>(chunk);
                fed_ += chunk;
            }
            const auto room = static_cast<uInt>(std::min(n - got, step));
            zs_.next_out = dst + got;
            zs_.avail_out = room;
            const int rc = inflate(&zs_, Z_NO_FLUSH);
            got += room - zs_.avail_out;
            if (rc == Z_STREAM_END) {
                ended_ = true;
            } else if (rc == Z_DATA_ERROR) {
                throw Error("gzip: " + what_ + ": corrupt at compressed byte " + format_number(zs_.total_in) + " (" +
                            (zs_.msg ? zs_.msg : "invalid data") + ")");
            } else if (zs_.avail_in == 0 && fed_ < in_.size() && (rc == Z_BUF_ERROR || rc == Z_OK)) {
                continue;  // this chunk of input is used up: feed the next (files over 1 GiB)
            } else if (rc == Z_BUF_ERROR || (rc == Z_OK && zs_.avail_in == 0 && zs_.avail_out != 0)) {
                // No input left, and the stream hasn't ended: inflate stops only then.
                throw Error("gzip: " + what_ + ": truncated at compressed byte " + format_number(zs_.total_in));
            } else if (rc != Z_OK) {
                throw Error("gzip: " + what_ + ": zlib error " + format_number(rc) + " at compressed byte " +
                            format_number(zs_.total_in));
            }
        }
        return got;
    }
    std::string noun() const override { return "decompressed data"; }
    std::string at(std::uint64_t offset) const override { return "decompressed byte " + format_number(offset); }

    // Once the stream has ended: nothing may follow it. gzip -d would inflate a second member and
    // append it, but no IDX file has two, and a reader that skipped it, or joined it, would hand
    // back data nobody checked; so either is refused, as is any other trailing byte.
    void check_nothing_after() const {
        const std::uint64_t end = zs_.total_in;
        if (end == in_.size()) return;
        const bool member =
            in_.size() - end >= 2 && std::uint8_t(in_[end]) == 0x1f && std::uint8_t(in_[end + 1]) == 0x8b;
        throw Error("gzip: " + what_ + ": " +
                    (member ? "a second gzip member starts at compressed byte " + format_number(end) +
                                  " (an IDX file is one gzip stream)"
                            : format_number(in_.size() - end) + " bytes of trailing garbage from compressed byte " +
                                  format_number(end) + ", after the gzip stream"));
    }

private:
    const std::string& in_;
    std::string what_;
    z_stream zs_{};
    std::size_t fed_ = 0;  // bytes of in_ handed to zlib so far
    bool ended_ = false;
};

// The most data bytes a header may claim, and why, for the error that names it.
struct Limit {
    std::uint64_t bytes;
    std::string why;
};

Limit tighter(Limit a, Limit b) { return a.bytes <= b.bytes ? a : b; }

Limit cap_limit() {
    return {max_idx_data_bytes, "the " + format_number(max_idx_data_bytes) + " bytes xgrad reads from one IDX file"};
}

// The magic and one uint32 per dim; the magic's last byte holds the dims count.
std::size_t header_bytes(std::size_t expected_dims, const std::string& what) {
    if (expected_dims == 0 || expected_dims > 255) {
        throw Error("IDX: " + what + ": expected_dims " + format_number(expected_dims) + " is not in 1..255");
    }
    return 4 + 4 * expected_dims;
}

// Header, then exactly the bytes the dims need, then a one-byte probe that must find nothing.
IdxFile parse_from(Source& src, std::size_t expected_dims, const std::string& what, const Limit& limit) {
    const std::size_t header = header_bytes(expected_dims, what);
    const std::uint32_t expected_magic = 0x00000800u | static_cast<std::uint32_t>(expected_dims);
    std::vector<std::uint8_t> head(header);
    const std::size_t got_magic = src.read(head.data(), 4);
    if (got_magic < 4) {
        throw Error("IDX: " + what + ": " + src.noun() + " is " + format_number(got_magic) +
                    " bytes, too short for the magic number");
    }
    const std::uint32_t magic = be32(head.data());
    if (magic != expected_magic) {
        throw Error("IDX: " + what + ": bad magic " + hex32(magic) + " at " + src.at(0) + " (expected " +
                    hex32(expected_magic) + ")");
    }
    const std::size_t got_head = 4 + src.read(head.data() + 4, header - 4);
    if (got_head < header) {
        throw Error("IDX: " + what + ": " + src.noun() + " ends at " + src.at(got_head) + ", inside the header of " +
                    format_number(header) + " bytes");
    }
    IdxFile f;
    std::uint64_t count = 1;
    for (std::size_t d = 0; d < expected_dims; ++d) {
        const std::uint32_t n = be32(head.data() + 4 + 4 * d);
        f.dims.push_back(n);
        // Checked after every factor, before multiplying, so the product can't overflow.
        if (n != 0 && count > limit.bytes / n) {
            throw Error("IDX: " + what + ": dims at " + src.at(4 + 4 * d) + " need more than " + limit.why);
        }
        count *= n;
    }
    f.values.resize(static_cast<std::size_t>(count));
    const std::size_t got = src.read(f.values.data(), f.values.size());
    if (got < count) {
        throw Error("IDX: " + what + ": " + src.noun() + " has " + format_number(got) +
                    " data bytes after the header, dims need " + format_number(count) + " (truncated)");
    }
    std::uint8_t probe;
    if (src.read(&probe, 1) != 0) {
        throw Error("IDX: " + what + ": trailing bytes after " + src.at(header + count) + ", where the " +
                    format_number(count) + " data bytes the dims need end");
    }
    return f;
}

}  // namespace

IdxFile parse_idx(const std::string& bytes, std::size_t expected_dims, const std::string& what) {
    RawSource src(bytes);
    const std::size_t header = header_bytes(expected_dims, what);
    const std::uint64_t available = bytes.size() > header ? bytes.size() - header : 0;
    const Limit in_file{available, "the " + format_number(available) + " data bytes the file has"};
    return parse_from(src, expected_dims, what, tighter(in_file, cap_limit()));
}

IdxFile parse_idx_gz(const std::string& compressed, std::size_t expected_dims, const std::string& what) {
    GzipSource src(compressed, what);
    const std::uint64_t inflatable = max_gzip_ratio * std::min<std::uint64_t>(compressed.size(), max_idx_file_bytes);
    const Limit ratio{inflatable, "the " + format_number(inflatable) + " bytes a gzip file of " +
                                      format_number(compressed.size()) +
                                      " bytes can inflate to (deflate's limit is about 1032:1)"};
    IdxFile f = parse_from(src, expected_dims, what, tighter(ratio, cap_limit()));
    src.check_nothing_after();
    return f;
}

IdxFile read_idx(const std::string& path, std::size_t expected_dims) {
    const std::string bytes = read_regular_file("IDX", path, max_idx_file_bytes);
    if (bytes.size() >= 2 && std::uint8_t(bytes[0]) == 0x1f && std::uint8_t(bytes[1]) == 0x8b) {
        return parse_idx_gz(bytes, expected_dims, path);
    }
    return parse_idx(bytes, expected_dims, path);
}

}  // namespace xg::data
