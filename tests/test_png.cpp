// viz::png_gray: a valid PNG — signature, IHDR with the right size, chunk CRCs, and pixel rows
// that zlib and the PNG filters (decoded here, independently of libpng) give back as the
// image; libpng's reader agrees.
#include "helpers.hpp"

#include <png.h>
#include <zlib.h>

#include <cstdlib>

using namespace xg;

namespace {
std::uint32_t be32(const std::string& s, std::size_t at) {
    return (std::uint32_t(std::uint8_t(s[at])) << 24) | (std::uint32_t(std::uint8_t(s[at + 1])) << 16) |
           (std::uint32_t(std::uint8_t(s[at + 2])) << 8) | std::uint32_t(std::uint8_t(s[at + 3]));
}

// PNG's five row filters undone for one byte per pixel (the spec's section 9), in place.
std::vector<std::uint8_t> unfilter(const std::string& raw, std::size_t w, std::size_t h) {
    std::vector<std::uint8_t> out(w * h);
    for (std::size_t y = 0; y < h; ++y) {
        const int filter = std::uint8_t(raw[y * (w + 1)]);
        REQUIRE(filter <= 4);
        for (std::size_t x = 0; x < w; ++x) {
            const int a = x ? out[y * w + x - 1] : 0, b = y ? out[(y - 1) * w + x] : 0;
            const int c = x && y ? out[(y - 1) * w + x - 1] : 0;
            const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
            const int paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            const int pred[5] = {0, a, b, (a + b) / 2, paeth};
            out[y * w + x] = static_cast<std::uint8_t>(std::uint8_t(raw[y * (w + 1) + 1 + x]) + pred[filter]);
        }
    }
    return out;
}
}  // namespace

TEST_CASE("png_gray: signature, size, CRCs and pixels decode back", "[viz]") {
    const std::size_t w = 37, h = 23;  // rows long enough for libpng to pick filters other than none
    std::vector<std::uint8_t> pixels(w * h);
    for (std::size_t i = 0; i < pixels.size(); ++i)
        pixels[i] = static_cast<std::uint8_t>((i / w) * 7 + (i % w) * (i % w));
    const std::string png = viz::png_gray(w, h, pixels);
    REQUIRE(png.size() > 8 + 25 + 12 + 12);
    CHECK(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
    // Walk the chunks: length, type, data, CRC over type and data.
    std::size_t at = 8;
    std::vector<std::string> types;
    std::string idat;
    while (at + 12 <= png.size()) {
        const std::uint32_t len = be32(png, at);
        const std::string type = png.substr(at + 4, 4), data = png.substr(at + 8, len);
        const std::string body = png.substr(at + 4, 4 + len);
        CHECK(be32(png, at + 8 + len) ==
              crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
        if (type == "IHDR") {
            CHECK(be32(data, 0) == w);
            CHECK(be32(data, 4) == h);
            CHECK(data[8] == 8);   // bit depth
            CHECK(data[9] == 0);   // greyscale
            CHECK(data[12] == 0);  // not interlaced
        }
        if (type == "IDAT") idat += data;
        types.push_back(type);
        at += 12 + len;
    }
    CHECK(at == png.size());
    REQUIRE(types.size() >= 3);
    CHECK(types.front() == "IHDR");
    CHECK(types.back() == "IEND");
    CHECK(std::count(types.begin(), types.end(), "IDAT") >= 1);
    std::string raw(h * (w + 1), '\0');
    uLongf size = static_cast<uLongf>(raw.size());
    REQUIRE(uncompress(reinterpret_cast<Bytef*>(raw.data()), &size, reinterpret_cast<const Bytef*>(idat.data()),
                       static_cast<uLong>(idat.size())) == Z_OK);
    CHECK(size == raw.size());
    CHECK(unfilter(raw, w, h) == pixels);

    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    REQUIRE(png_image_begin_read_from_memory(&image, png.data(), png.size()));
    image.format = PNG_FORMAT_GRAY;
    std::vector<std::uint8_t> read(PNG_IMAGE_SIZE(image));
    REQUIRE(png_image_finish_read(&image, nullptr, read.data(), 0, nullptr));
    CHECK(image.width == w);
    CHECK(image.height == h);
    CHECK(read == pixels);

    CHECK_THROWS_WITH(viz::png_gray(4, 4, pixels), Catch::Contains("851 pixels don't make a 4x4 image"));
    CHECK_THROWS_WITH(viz::png_gray(0, 4, {}), Catch::Contains("0 pixels don't make a 0x4 image"));
}
