// PNG writing through libpng's simplified API (png_image), which reports errors as a message
// instead of longjmp-ing through our C++ frames.
#include "viz/png.hpp"

#include <png.h>

#include <fstream>

#include "core/error.hpp"
#include "core/format.hpp"

namespace xg::viz {

std::string png_gray(std::size_t width, std::size_t height, const std::vector<std::uint8_t>& pixels) {
    const std::string size = format_number(width) + "x" + format_number(height);
    if (width == 0 || height == 0 || pixels.size() / width != height || pixels.size() % width != 0) {
        throw Error("png_gray: " + format_number(pixels.size()) + " pixels don't make a " + size + " image");
    }
    constexpr std::size_t max_side = 1'000'000;  // libpng's default limit for either side
    if (width > max_side || height > max_side) {
        throw Error("png_gray: a " + size + " image is larger than PNG writers allow (" + format_number(max_side) +
                    " a side)");
    }
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    image.width = static_cast<png_uint_32>(width);
    image.height = static_cast<png_uint_32>(height);
    image.format = PNG_FORMAT_GRAY;
    std::string png(PNG_IMAGE_PNG_SIZE_MAX(image), '\0');  // an upper bound, so one pass suffices
    png_alloc_size_t bytes = png.size();
    const int ok = png_image_write_to_memory(&image, png.data(), &bytes, 0, pixels.data(), 0, nullptr);
    const std::string message = image.message;
    png_image_free(&image);
    if (!ok) throw Error("png_gray: libpng failed to write a " + size + " image: " + message);
    png.resize(bytes);
    return png;
}

void write_png_gray(const std::string& path, std::size_t width, std::size_t height,
                    const std::vector<std::uint8_t>& pixels) {
    const std::string png = png_gray(width, height, pixels);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("write_png_gray: can't open " + path + " for writing");
    out.write(png.data(), static_cast<std::streamsize>(png.size()));
    if (!out) throw Error("write_png_gray: writing " + path + " failed");
}

}  // namespace xg::viz
