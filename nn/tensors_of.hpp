// detail::tensors_of(values...): the tensors inside a forward's arguments or result, in order, as
// the forward hooks of a module with any forward see them (nn/module.hpp). A Tensor is itself; a
// std::vector<Tensor>, a tuple or pair, a std::optional and a plain struct of fields (up to 8,
// such as `struct Out { Tensor logits, features; }`) give theirs, depth first; anything else (an
// int flag, a string) holds no tensor. PyTorch hands a hook the Python objects themselves; C++
// has no "tuple of anything" to hand over, so the hook gets the tensors, flattened.
#pragma once

#include <cstddef>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/tensor.hpp"

namespace xg::detail {

template <class T>
concept TupleLike = requires {
    std::tuple_size<T>::value;
};

// Converts to anything: T{AnyField{}, ...} compiles for as many fields as T has.
struct AnyField {
    template <class U>
    operator U() const;
};

// The number of fields of the aggregate T (brace-initializable from that many values).
template <class T, class... Fields>
constexpr std::size_t field_count() {
    if constexpr (sizeof...(Fields) > 8) return 9;  // more than we decompose
    else if constexpr (requires { T{Fields{}..., AnyField{}}; }) return field_count<T, Fields..., AnyField>();
    else return sizeof...(Fields);
}

template <class T>
void append_tensors(std::vector<Tensor>& out, const T& value);

template <class... Fields>
void append_fields(std::vector<Tensor>& out, const Fields&... fields) {
    (append_tensors(out, fields), ...);
}

// A struct's fields through a structured binding (C++20 has no reflection to list them).
template <class T>
void append_struct(std::vector<Tensor>& out, const T& v) {
    constexpr std::size_t n = field_count<T>();
    static_assert(n <= 8, "a forward's argument or result struct has more than 8 fields: return a tuple or a vector");
    // clang-format off
    if constexpr (n == 1) { const auto& [a] = v; append_fields(out, a); }
    else if constexpr (n == 2) { const auto& [a, b] = v; append_fields(out, a, b); }
    else if constexpr (n == 3) { const auto& [a, b, c] = v; append_fields(out, a, b, c); }
    else if constexpr (n == 4) { const auto& [a, b, c, d] = v; append_fields(out, a, b, c, d); }
    else if constexpr (n == 5) { const auto& [a, b, c, d, e] = v; append_fields(out, a, b, c, d, e); }
    else if constexpr (n == 6) { const auto& [a, b, c, d, e, f] = v; append_fields(out, a, b, c, d, e, f); }
    else if constexpr (n == 7) { const auto& [a, b, c, d, e, f, g] = v; append_fields(out, a, b, c, d, e, f, g); }
    else if constexpr (n == 8) { const auto& [a, b, c, d, e, f, g, h] = v; append_fields(out, a, b, c, d, e, f, g, h); }
    // clang-format on
}

template <class T>
void append_tensors(std::vector<Tensor>& out, const T& value) {
    using V = std::remove_cvref_t<T>;
    if constexpr (std::is_same_v<V, Tensor>) out.push_back(value);
    else if constexpr (std::is_same_v<V, std::vector<Tensor>>) out.insert(out.end(), value.begin(), value.end());
    else if constexpr (TupleLike<V>) std::apply([&](const auto&... parts) { append_fields(out, parts...); }, value);
    else if constexpr (requires {
                           value.has_value();
                           *value;
                       }) {
        if (value.has_value()) append_tensors(out, *value);
    } else if constexpr (std::is_aggregate_v<V> && std::is_class_v<V>) append_struct(out, value);
    // anything else (a flag, a number, a string) holds no tensor
}

template <class... Values>
std::vector<Tensor> tensors_of(const Values&... values) {
    std::vector<Tensor> out;
    (append_tensors(out, values), ...);
    return out;
}

}  // namespace xg::detail
