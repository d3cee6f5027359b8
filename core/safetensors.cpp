// safetensors reading and writing, with every field validated before use.
#include "core/safetensors.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <tuple>
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

template <class U>
U read_le(const char* p) {
    U v = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i) v |= static_cast<U>(static_cast<unsigned char>(p[i])) << (8 * i);
    return v;
}

template <class U>
void write_le(std::string& out, U v) {
    for (std::size_t i = 0; i < sizeof(U); ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xffu));
}

// `count` elements of `dtype` at `p` (file byte `offset`) as floats into `out`.
void decode(Dtype dtype, const char* p, std::size_t count, float* out, const std::string& what,
            const std::string& where, std::uint64_t offset) {
    const std::size_t size = dtype_size(dtype);
    for (std::size_t i = 0; i < count; ++i, p += size) {
        switch (dtype) {
            case Dtype::F32: out[i] = std::bit_cast<float>(read_le<std::uint32_t>(p)); break;
            case Dtype::F16: out[i] = half_to_float(read_le<std::uint16_t>(p)); break;
            case Dtype::BF16: out[i] = bfloat16_to_float(read_le<std::uint16_t>(p)); break;
            case Dtype::F64: out[i] = double_to_float(std::bit_cast<double>(read_le<std::uint64_t>(p))); break;
            // Integers convert with rounding to nearest: exact up to 2^24 in magnitude.
            case Dtype::I64: out[i] = static_cast<float>(static_cast<std::int64_t>(read_le<std::uint64_t>(p))); break;
            case Dtype::I32: out[i] = static_cast<float>(static_cast<std::int32_t>(read_le<std::uint32_t>(p))); break;
            case Dtype::I16: out[i] = static_cast<float>(static_cast<std::int16_t>(read_le<std::uint16_t>(p))); break;
            case Dtype::I8: out[i] = static_cast<float>(static_cast<std::int8_t>(*p)); break;
            case Dtype::U8: out[i] = static_cast<float>(static_cast<unsigned char>(*p)); break;
            case Dtype::BOOL: {
                const auto byte = static_cast<unsigned char>(*p);
                if (byte > 1) {
                    fail(what, where + ": BOOL element " + format_number(i) + " at byte " + format_number(offset + i) +
                                   " is " + format_number(static_cast<unsigned>(byte)) + ", not 0 or 1");
                }
                out[i] = byte;
                break;
            }
        }
    }
}

// `v` as the integer type's value, or an Error: the write must not change the number.
template <class T>
T exact_integer(float v, Dtype dtype, const std::string& name, std::size_t index) {
    const double low = std::is_signed_v<T> ? -std::ldexp(1.0, std::numeric_limits<T>::digits) : 0.0;
    const double high = std::ldexp(1.0, std::numeric_limits<T>::digits);  // exclusive
    if (!(v >= low && v < high) || std::trunc(v) != v) {
        throw Error("safetensors: tensor '" + name + "' element " + format_number(index) + " is " + format_number(v) +
                    ", which " + dtype_name(dtype) + " can't hold exactly");
    }
    return static_cast<T>(v);
}

void encode(Dtype dtype, const Array& a, const std::string& name, std::string& out) {
    const float* v = a.data();
    for (std::size_t i = 0; i < a.size(); ++i) {
        switch (dtype) {
            case Dtype::F32: write_le(out, std::bit_cast<std::uint32_t>(v[i])); break;
            case Dtype::F16: write_le(out, float_to_half(v[i])); break;
            case Dtype::BF16: write_le(out, float_to_bfloat16(v[i])); break;
            case Dtype::F64: write_le(out, std::bit_cast<std::uint64_t>(static_cast<double>(v[i]))); break;
            case Dtype::I64:
                write_le(out, static_cast<std::uint64_t>(exact_integer<std::int64_t>(v[i], dtype, name, i)));
                break;
            case Dtype::I32:
                write_le(out, static_cast<std::uint32_t>(exact_integer<std::int32_t>(v[i], dtype, name, i)));
                break;
            case Dtype::I16:
                write_le(out, static_cast<std::uint16_t>(exact_integer<std::int16_t>(v[i], dtype, name, i)));
                break;
            case Dtype::I8: out.push_back(static_cast<char>(exact_integer<std::int8_t>(v[i], dtype, name, i))); break;
            case Dtype::U8: out.push_back(static_cast<char>(exact_integer<std::uint8_t>(v[i], dtype, name, i))); break;
            case Dtype::BOOL:
                if (v[i] != 0.0f && v[i] != 1.0f) {
                    throw Error("safetensors: tensor '" + name + "' element " + format_number(i) + " is " +
                                format_number(v[i]) + ", which BOOL can't hold (0 or 1)");
                }
                out.push_back(static_cast<char>(v[i] == 1.0f));
                break;
        }
    }
}

// The offset just past the closing brace of the JSON object that `json` (known to parse) starts with.
std::size_t object_end(std::string_view json) {
    std::size_t depth = 0;
    for (std::size_t i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (c == '"') {
            for (++i; i < json.size() && json[i] != '"'; ++i)
                if (json[i] == '\\') ++i;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            return i + 1;
        }
    }
    return json.size();
}

// The first key that appears twice in one JSON object of `json` (known to be valid JSON), with
// the offset of its second appearance. nlohmann's parser would silently keep one of the two.
std::optional<std::pair<std::string, std::size_t>> duplicate_key(std::string_view json) {
    std::vector<std::set<std::string>> keys;  // per open object
    std::vector<char> open;                   // '{' or '[', innermost last
    bool expect_key = false;
    for (std::size_t i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (c == '"') {
            std::size_t end = i + 1;
            while (json[end] != '"') end += json[end] == '\\' ? 2 : 1;
            if (expect_key) {  // decode the escapes ("\u0061" is "a") before comparing
                auto key = nlohmann::json::parse(json.substr(i, end + 1 - i)).get<std::string>();
                if (!keys.back().insert(key).second) return std::pair{std::move(key), i};
                expect_key = false;
            }
            i = end;
        } else if (c == '{' || c == '[') {
            open.push_back(c);
            if (c == '{') keys.emplace_back();
            expect_key = c == '{';
        } else if (c == '}' || c == ']') {
            if (c == '}') keys.pop_back();
            open.pop_back();
            expect_key = false;
            if (open.empty()) break;  // the header object ends here; from_bytes checks what follows
        } else if (c == ',') {
            expect_key = open.back() == '{';
        }
    }
    return std::nullopt;
}

}  // namespace

std::string to_bytes(const File& file) {
    // The data is laid out widest dtype first, so every tensor is aligned to its element size
    // (as safetensors.torch does); the header keeps the file's order.
    std::vector<std::size_t> layout(file.tensors.size());
    for (std::size_t i = 0; i < layout.size(); ++i) layout[i] = i;
    std::stable_sort(layout.begin(), layout.end(), [&](std::size_t a, std::size_t b) {
        return dtype_size(file.dtype(file.tensors[a].first)) > dtype_size(file.dtype(file.tensors[b].first));
    });
    std::vector<std::uint64_t> begin(file.tensors.size());
    std::uint64_t offset = 0;
    for (std::size_t i : layout) {
        begin[i] = offset;
        offset += file.tensors[i].second.size() * dtype_size(file.dtype(file.tensors[i].first));
    }
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < file.tensors.size(); ++i) {
        const auto& [name, a] = file.tensors[i];
        if (name == "__metadata__") throw Error("safetensors: a tensor can't be called __metadata__");
        if (header.contains(name)) throw Error("safetensors: two tensors are called '" + name + "'");
        const Dtype dtype = file.dtype(name);
        header[name] = {{"dtype", dtype_name(dtype)},
                        {"shape", std::vector<std::size_t>(a.shape().begin(), a.shape().end())},
                        {"data_offsets", {begin[i], begin[i] + a.size() * dtype_size(dtype)}}};
    }
    if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
    std::string json = header.dump();
    json.append((8 - json.size() % 8) % 8, ' ');  // the data starts 8-byte aligned, as safetensors pads

    std::string out;
    write_le(out, static_cast<std::uint64_t>(json.size()));
    out += json;
    for (std::size_t i : layout)
        encode(file.dtype(file.tensors[i].first), file.tensors[i].second, file.tensors[i].first, out);
    return out;
}

File from_bytes(const std::string& bytes, const std::string& what) {
    if (bytes.size() < 8)
        fail(what, "file is " + format_number(bytes.size()) + " bytes, shorter than the 8-byte header length");
    const std::uint64_t n = read_le<std::uint64_t>(bytes.data());
    if (n > max_header || n > bytes.size() - 8) {
        fail(what, "header length " + format_number(n) + " at byte 0 runs past the end of the file (" +
                       format_number(bytes.size()) + " bytes)");
    }
    const std::string_view json(bytes.data() + 8, n);
    nlohmann::ordered_json header;
    try {
        header = nlohmann::ordered_json::parse(json.begin(), json.end());
    } catch (const nlohmann::ordered_json::parse_error& e) {
        fail(what, "header is not valid JSON (at byte " + format_number(8 + e.byte) + ")");
    } catch (const nlohmann::ordered_json::exception& e) {  // e.g. a number too large for any type
        fail(what, std::string("header is not valid JSON: ") + e.what());
    }
    if (!header.is_object()) fail(what, "header at byte 8 is not a JSON object");
    // nlohmann's parser stops at a NUL byte, so "{...}\0garbage" parses; safetensors pads the
    // header with spaces only, and anything else after the object is refused, naming where.
    if (const std::size_t end = object_end(json); end < json.size()) {
        const auto junk = json.find_first_not_of(" \t\r\n", end);
        if (junk != std::string_view::npos)
            fail(what, "header has bytes after its JSON object, from byte " + format_number(8 + junk));
    }
    if (auto dup = duplicate_key(json))
        fail(what, "the header has the key '" + dup->first + "' twice (again at byte " +
                       format_number(8 + dup->second) + ")");

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
        const std::optional<Dtype> dtype =
            entry["dtype"].is_string() ? dtype_from_name(entry["dtype"].get<std::string>()) : std::nullopt;
        if (!dtype) {
            fail(what, where + " has dtype " + entry["dtype"].dump() +
                           "; xgrad reads F32, F16, BF16, F64, I64, I32, I16, I8, U8 and BOOL");
        }
        const std::size_t size = dtype_size(*dtype);
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
            if (v != 0 && count > std::numeric_limits<std::uint64_t>::max() / 8 / v)
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
        if (end - begin != count * size) {
            fail(what, where + ": data_offsets hold " + format_number(end - begin) + " bytes, shape " +
                           shape_str(shape) + " of " + dtype_name(*dtype) + " needs " + format_number(count * size));
        }
        Array a = Array::from_shape(shape);
        decode(*dtype, bytes.data() + data_start + begin, count, a.data(), what, where, data_start + begin);
        file.tensors.emplace_back(name, std::move(a));
        file.dtypes[name] = *dtype;
        spans.push_back({begin, end, name});
    }
    // The data must be covered exactly: no overlaps, no gaps, nothing left over (as the reference reader).
    // By (begin, end), as the reference reader: an empty tensor at byte b sorts before one starting there.
    std::sort(spans.begin(), spans.end(),
              [](const Span& a, const Span& b) { return std::tie(a.begin, a.end) < std::tie(b.begin, b.end); });
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
