// Numbers as text, one way in and one way out: every number xgrad writes to a file or puts in a
// message goes through format_number, every number it reads back through parse_number.
#pragma once

#include <charconv>
#include <concepts>
#include <string>
#include <string_view>

namespace xg {

// The shortest text that reads back as exactly the same value (std::to_chars): 1e-07, 0.1, 3,
// -0, inf, nan. Unlike std::to_string's six fixed decimals, nothing is lost: lr 1e-7 stays 1e-07.
// The float overload gives the float's shortest text (0.1f is "0.1", not 0.10000000149011612).
std::string format_number(double value);
std::string format_number(float value);
template <std::integral T>
requires(!std::same_as<T, bool>) std::string format_number(T value) {
    char buf[48];  // room for any integer type, __int128 included
    return std::string(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);
}

// The whole of `text` as a T (double by default; float, or any integer type), or an xg::Error
// that starts with `what` (say the file and the key: "optimizer load: adam.safetensors: metadata
// 'lr'") and shows the text: no leading or trailing spaces, no "+", no hex, nothing left over.
// Accepts what format_number writes, including inf and nan for floating-point types.
template <class T = double>
T parse_number(std::string_view text, std::string_view what);

}  // namespace xg
