// viz::png_gray: a valid PNG — signature, IHDR with the right size, chunk CRCs, and pixel rows
// that zlib decodes back to the image.
#include "helpers.hpp"

#include <zlib.h>

using namespace xg;

namespace {
std::uint32_t be32(const std::string& s, std::size_t at) {
    return (std::uint32_t(std::uint8_t(s[at])) << 24) | (std::uint32_t(std::uint8_t(s[at + 1])) << 16) |
           (std::uint32_t(std::uint8_t(s[at + 2])) << 8) | std::uint32_t(std::uint8_t(s[at + 3]));
}
}  // namespace

TEST_CASE("png_gray: signature, size, CRCs and pixels decode back", "[viz]") {
    const std::size_t w = 5, h = 3;
    std::vector<std::uint8_t> pixels(w * h);
    for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(i * 17);
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
        CHECK(be32(png, at + 8 + len) == crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
        if (type == "IHDR") {
            CHECK(be32(data, 0) == w);
            CHECK(be32(data, 4) == h);
            CHECK(data[8] == 8);  // bit depth
            CHECK(data[9] == 0);  // greyscale
        }
        if (type == "IDAT") idat += data;
        types.push_back(type);
        at += 12 + len;
    }
    CHECK(at == png.size());
    CHECK(types == std::vector<std::string>{"IHDR", "IDAT", "IEND"});
    std::string raw(h * (w + 1), '\0');
    uLongf size = static_cast<uLongf>(raw.size());
    REQUIRE(uncompress(reinterpret_cast<Bytef*>(raw.data()), &size, reinterpret_cast<const Bytef*>(idat.data()),
                       static_cast<uLong>(idat.size())) == Z_OK);
    CHECK(size == raw.size());
    for (std::size_t y = 0; y < h; ++y) {
        CHECK(raw[y * (w + 1)] == 0);  // filter byte
        for (std::size_t x = 0; x < w; ++x) CHECK(std::uint8_t(raw[y * (w + 1) + 1 + x]) == pixels[y * w + x]);
    }
    CHECK_THROWS_WITH(viz::png_gray(4, 4, pixels), Catch::Contains("15 pixels don't make a 4x4 image"));
}
