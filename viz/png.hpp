// viz::write_png_gray: an 8-bit greyscale PNG from bytes, written by libpng.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace xg::viz {

std::string png_gray(std::size_t width, std::size_t height, const std::vector<std::uint8_t>& pixels);  // row-major
void write_png_gray(const std::string& path, std::size_t width, std::size_t height,
                    const std::vector<std::uint8_t>& pixels);

}  // namespace xg::viz
