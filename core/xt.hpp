// The one place xtensor comes in: its header paths differ by version (Debian's 0.24 is flat).
#pragma once

#include <xtensor/xarray.hpp>
#include <xtensor/xbroadcast.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xsort.hpp>
#include <xtensor/xstrided_view.hpp>
#include <xtensor/xview.hpp>

namespace xg {
using Array = xt::xarray<float>;  // the values behind every Tensor: float32, row-major
using Shape = Array::shape_type;  // dimensions, outermost first
}  // namespace xg
