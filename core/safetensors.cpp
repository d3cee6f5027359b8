// safetensors reading and writing, with every field validated before use.
#include "core/safetensors.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/format.hpp"

namespace xg::safetensors {

namespace {

constexpr std::uint64_t max_header = 100u << 20;  // the reference reader's limit (100 MB)

[[noreturn]] void fail(const std::string& what, const std::string& why) {
    throw Error("safetensors: " + what + ": " + why);
}

}  // namespace

std::string to_bytes(const File& file) {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    std::uint64_t offset = 0;
    for (const auto& [name, a] : file.tensors) {
        if (name == "__metadata__") throw Error("safetensors: a tensor can't be called __metadata__");
        const std::uint64_t bytes = a.size() * sizeof(float);
        header[name] = {{"dtype", "F32"},
                        {"shape", std::vector<std::size_t>(a.shape().begin(), a.shape().end())},
                        {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
    std::string json = header.dump();
    json.append((8 - json.size() % 8) % 8, ' ');  // the data starts 8-byte aligned, as safetensors pads

    std::string out(8, '\0');
    const std::uint64_t n = json.size();
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);  // little-endian
    out += json;
    for (const auto& [name, a] : file.tensors) {
        out.append(reinterpret_cast<const char*>(a.data()), a.size() * sizeof(float));
    }
    return out;
}

File from_bytes(const std::string& bytes, const std::string& what) {
    if (bytes.size() < 8)
        fail(what, "file is " + format_number(bytes.size()) + " bytes, shorter than the 8-byte header length");
    std::uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
    if (n > max_header || n > bytes.size() - 8) {
        fail(what, "header length " + format_number(n) + " at byte 0 runs past the end of the file (" +
                       format_number(bytes.size()) + " bytes)");
    }
    nlohmann::ordered_json header;
    try {
        header = nlohmann::ordered_json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n));
    } catch (const nlohmann::ordered_json::parse_error& e) {
        fail(what, "header is not valid JSON (at byte " + format_number(8 + e.byte) + ")");
    } catch (const nlohmann::ordered_json::exception& e) {  // e.g. a number too large for any type
        fail(what, std::string("header is not valid JSON: ") + e.what());
    }
    if (!header.is_object()) fail(what, "header at byte 8 is not a JSON object");

    const std::uint64_t data_start = 8 + n, data_size = bytes.size() - data_start;
    File file;
    struct Span {
        std::uint64_t begin, end;
        std::string name;
    };
    std::vector<Span> spans;
    for (auto it = header.begin(); it != header.end(); ++it) {
        const std::string& name = it.key();
        const auto& entry = it.value();
        if (name == "__metadata__") {
            if (!entry.is_object()) fail(what, "__metadata__ is not an object");
            for (auto m = entry.begin(); m != entry.end(); ++m) {
                if (!m.value().is_string()) fail(what, "__metadata__ value '" + m.key() + "' is not a string");
                file.metadata[m.key()] = m.value().get<std::string>();
            }
            continue;
        }
        const std::string where = "tensor '" + name + "'";
        if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
            !entry.contains("data_offsets")) {
            fail(what, where + " needs dtype, shape and data_offsets");
        }
        if (entry["dtype"] != "F32")
            fail(what, where + " has dtype " + entry["dtype"].dump() + "; xgrad reads F32 only");
        const auto& shape_json = entry["shape"];
        const auto& offsets = entry["data_offsets"];
        if (!shape_json.is_array() || shape_json.size() > 16)
            fail(what, where + ": shape is not an array of <= 16 dims");
        Shape shape;
        std::uint64_t count = 1;
        for (const auto& d : shape_json) {
            if (!d.is_number_unsigned())
                fail(what, where + ": shape " + shape_json.dump() + " has a non-integer or negative dim");
            const std::uint64_t v = d.get<std::uint64_t>();
            if (v != 0 && count > std::numeric_limits<std::uint64_t>::max() / 4 / v)
                fail(what, where + ": shape is too large");
            count *= v;
            shape.push_back(static_cast<std::size_t>(v));
        }
        if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
            !offsets[1].is_number_unsigned()) {
            fail(what, where + ": data_offsets must be [begin, end]");
        }
        const std::uint64_t begin = offsets[0].get<std::uint64_t>(), end = offsets[1].get<std::uint64_t>();
        if (begin > end || end > data_size) {
            fail(what, where + ": data_offsets [" + format_number(begin) + ", " + format_number(end) +
                           "] fall outside the data (" + format_number(data_size) + " bytes from byte " +
                           format_number(data_start) + ")");
        }
        if (end - begin != count * sizeof(float)) {
            fail(what, where + ": data_offsets hold " + format_number(end - begin) + " bytes, shape " +
                           shape_str(shape) + " needs " + format_number(count * sizeof(float)));
        }
        Array a = Array::from_shape(shape);
        if (count) std::memcpy(a.data(), bytes.data() + data_start + begin, count * sizeof(float));
        file.tensors.emplace_back(name, std::move(a));
        spans.push_back({begin, end, name});
    }
    // The data must be covered exactly: no overlaps, no gaps, nothing left over (as the reference reader).
    std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
    std::uint64_t expect = 0;
    for (const Span& s : spans) {
        if (s.begin != expect) {
            fail(what, "tensor '" + s.name + "' starts at data byte " + format_number(s.begin) + ", expected " +
                           format_number(expect) + " (overlapping or missing data)");
        }
        expect = s.end;
    }
    if (expect != data_size) {
        fail(what, "the tensors cover " + format_number(expect) + " of " + format_number(data_size) + " data bytes");
    }
    return file;
}

void save(const File& file, const std::string& path) {
    const std::string bytes = to_bytes(file);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("safetensors: can't open " + path + " for writing");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw Error("safetensors: writing " + path + " failed");
}

File load(const std::string& path) {
    return from_bytes(read_regular_file("safetensors", path, std::numeric_limits<std::uint64_t>::max()), path);
}

}  // namespace xg::safetensors
