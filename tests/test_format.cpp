// format_number and parse_number (core/format.hpp): shortest text that reads back exactly, and
// checked reads whose errors name the source; shape_str and normalize_dim on every shape type.
#include "helpers.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "core/format.hpp"

using namespace xg;

TEST_CASE("format_number: the shortest text that reads back as the same value", "[format]") {
    CHECK(format_number(1e-7) == "1e-07");  // std::to_string: "0.000000"
    CHECK(format_number(-1e-7) == "-1e-07");
    CHECK(format_number(0.1) == "0.1");
    CHECK(format_number(0.1f) == "0.1");  // the float's own shortest form, not 0.10000000149011612
    CHECK(format_number(static_cast<double>(0.1f)) == "0.10000000149011612");
    CHECK(format_number(0.1 + 0.2) == "0.30000000000000004");
    CHECK(format_number(3.0) == "3");
    CHECK(format_number(-0.0) == "-0");
    CHECK(format_number(1e300) == "1e+300");
    CHECK(format_number(5e-324) == "5e-324");
    CHECK(format_number(std::numeric_limits<double>::infinity()) == "inf");
    CHECK(format_number(std::nan("")) == "nan");
    CHECK(format_number(std::size_t{18446744073709551615u}) == "18446744073709551615");
    CHECK(format_number(std::int64_t{-9223372036854775807 - 1}) == "-9223372036854775808");
    CHECK(format_number(std::uint8_t{200}) == "200");  // a byte is a number, not a character

    std::mt19937_64 gen(1);
    for (int i = 0; i < 10000; ++i) {
        const double d = std::bit_cast<double>(gen());
        const float f = std::bit_cast<float>(static_cast<std::uint32_t>(gen()));
        if (std::isnan(d) || std::isnan(f)) continue;
        INFO(format_number(d) << " " << format_number(f));
        CHECK(std::bit_cast<std::uint64_t>(parse_number(format_number(d), "test")) == std::bit_cast<std::uint64_t>(d));
        CHECK(std::bit_cast<std::uint32_t>(parse_number<float>(format_number(f), "test")) ==
              std::bit_cast<std::uint32_t>(f));
    }
}

TEST_CASE("parse_number: the whole text or an xg::Error naming the source", "[format][errors]") {
    CHECK(parse_number("1e-07", "lr") == 1e-7);
    CHECK(parse_number("-0.5", "lr") == -0.5);
    CHECK(std::isinf(parse_number("inf", "lr")));
    CHECK(parse_number<std::int64_t>("-42", "step") == -42);
    CHECK(parse_number<std::size_t>("18446744073709551615", "n") == 18446744073709551615u);
    for (const char* bad : {"", "abc", " 1", "1 ", "1x", "+1", "0x10", "1,5", "--1"}) {
        INFO("'" << bad << "'");
        CHECK_THROWS_AS(parse_number(bad, "state.safetensors: metadata 'lr'"), Error);
        CHECK_THROWS_WITH(
            parse_number(bad, "state.safetensors: metadata 'lr'"),
            Catch::StartsWith("state.safetensors: metadata 'lr': expected a number, got '" + std::string(bad) + "'"));
    }
    CHECK_THROWS_WITH(parse_number("1e999", "f: 'x'"), "f: 'x': '1e999' is out of range for a double");
    CHECK_THROWS_WITH(parse_number<float>("1e39", "f: 'x'"), "f: 'x': '1e39' is out of range for a float");
    CHECK_THROWS_WITH(parse_number<std::int64_t>("1.5", "f: '0.step'"), "f: '0.step': expected an integer, got '1.5'");
    CHECK_THROWS_WITH(parse_number<std::size_t>("-1", "f: 'n'"), "f: 'n': expected a non-negative integer, got '-1'");
    CHECK_THROWS_WITH(parse_number<std::int64_t>("99999999999999999999", "f"),
                      "f: '99999999999999999999' is out of range (-9223372036854775808 to 9223372036854775807)");
}

TEST_CASE("shape_str and normalize_dim: any contiguous shape type", "[format][errors]") {
    const Shape shape = {64, 10};
    CHECK(shape_str(shape) == "[64, 10]");
    CHECK(shape_str(Shape{}) == "[]");
    CHECK(shape_str(std::vector<std::size_t>{2, 3, 4}) == "[2, 3, 4]");
    CHECK(shape_str(std::array<std::size_t, 1>{7}) == "[7]");
    CHECK(shape_str(std::vector<std::int64_t>{-1, 3}) == "[-1, 3]");
    CHECK(normalize_dim("sum", -1, 2, shape) == 1);
    CHECK_THROWS_WITH(normalize_dim("sum", 2, 2, shape),
                      "sum: dim 2 is out of range for a tensor of shape [64, 10] (valid: -2 to 1)");
}
