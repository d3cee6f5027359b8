// format_number and parse_number on <charconv>: shortest round-trip text, and checked reads that
// name their source when the text isn't a number.
#include "core/format.hpp"

#include <limits>
#include <system_error>
#include <type_traits>

#include "core/error.hpp"

namespace xg {

namespace {
template <class T>
std::string shortest(T value) {
    char buf[64];  // the longest shortest double, -2.2250738585072014e-308, has 24 characters
    return std::string(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);
}
}  // namespace

std::string format_number(double value) { return shortest(value); }
std::string format_number(float value) { return shortest(value); }

template <class T>
T parse_number(std::string_view text, std::string_view what) {
    T value{};
    const char* const end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    const std::string head = std::string(what) + ": ";
    std::string quoted(1, '\'');  // built by appending: GCC 12 warns falsely on "'" + std::string
    quoted.append(text).push_back('\'');
    if (ec == std::errc::result_out_of_range) {
        if constexpr (std::is_floating_point_v<T>) {
            throw Error(head + quoted + " is out of range for a " + (sizeof(T) == 4 ? "float" : "double"));
        } else {
            throw Error(head + quoted + " is out of range (" + format_number(std::numeric_limits<T>::min()) + " to " +
                        format_number(std::numeric_limits<T>::max()) + ")");
        }
    }
    if (ec != std::errc() || ptr != end) {
        const char* kind = std::is_floating_point_v<T> ? "a number"
                           : std::is_signed_v<T>       ? "an integer"
                                                       : "a non-negative integer";
        throw Error(head + "expected " + kind + ", got " + quoted);
    }
    return value;
}

template float parse_number<float>(std::string_view, std::string_view);
template double parse_number<double>(std::string_view, std::string_view);
template int parse_number<int>(std::string_view, std::string_view);
template long parse_number<long>(std::string_view, std::string_view);
template long long parse_number<long long>(std::string_view, std::string_view);
template unsigned parse_number<unsigned>(std::string_view, std::string_view);
template unsigned long parse_number<unsigned long>(std::string_view, std::string_view);
template unsigned long long parse_number<unsigned long long>(std::string_view, std::string_view);

}  // namespace xg
