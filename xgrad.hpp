// xgrad: the one umbrella header. `#include <xgrad.hpp>` and `using namespace xg;`.
#pragma once

#include "core/autograd.hpp"
#include "core/error.hpp"
#include "core/gradcheck.hpp"
#include "core/ops.hpp"
#include "core/random.hpp"
#include "core/tensor.hpp"
