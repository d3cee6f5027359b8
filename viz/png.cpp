// PNG writing: each row is filter byte 0 then its pixels; the rows are deflated into one IDAT.
#include "viz/png.hpp"

#include <zlib.h>

#include <fstream>

#include "core/error.hpp"

namespace xg::viz {

namespace {
void put32(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

void chunk(std::string& out, const char* type, const std::string& data) {
    put32(out, static_cast<std::uint32_t>(data.size()));
    const std::string body = std::string(type, 4) + data;
    out += body;
    put32(out, static_cast<std::uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
}
}  // namespace

std::string png_gray(std::size_t width, std::size_t height, const std::vector<std::uint8_t>& pixels) {
    if (width == 0 || height == 0 || pixels.size() != width * height) {
        throw Error("png_gray: " + std::to_string(pixels.size()) + " pixels don't make a " + std::to_string(width) + "x" +
                    std::to_string(height) + " image");
    }
    std::string raw;
    raw.reserve(height * (width + 1));
    for (std::size_t y = 0; y < height; ++y) {
        raw += '\0';  // filter: none
        raw.append(reinterpret_cast<const char*>(pixels.data() + y * width), width);
    }
    uLongf size = compressBound(static_cast<uLong>(raw.size()));
    std::string packed(size, '\0');
    if (compress2(reinterpret_cast<Bytef*>(packed.data()), &size, reinterpret_cast<const Bytef*>(raw.data()),
                  static_cast<uLong>(raw.size()), 9) != Z_OK) {
        throw Error("png_gray: zlib failed to compress the image");
    }
    packed.resize(size);

    std::string png = "\x89PNG\r\n\x1a\n";
    std::string ihdr;
    put32(ihdr, static_cast<std::uint32_t>(width));
    put32(ihdr, static_cast<std::uint32_t>(height));
    ihdr += std::string("\x08\x00\x00\x00\x00", 5);  // 8 bits, greyscale, deflate, no filter set, no interlace
    chunk(png, "IHDR", ihdr);
    chunk(png, "IDAT", packed);
    chunk(png, "IEND", "");
    return png;
}

void write_png_gray(const std::string& path, std::size_t width, std::size_t height, const std::vector<std::uint8_t>& pixels) {
    const std::string png = png_gray(width, height, pixels);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("write_png_gray: can't open " + path + " for writing");
    out.write(png.data(), static_cast<std::streamsize>(png.size()));
    if (!out) throw Error("write_png_gray: writing " + path + " failed");
}

}  // namespace xg::viz
