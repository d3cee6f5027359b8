// safetensors files: the bytes xgrad writes checked by hand against the format, loading errors
// that name the tensor, truncated and corrupt files.
#include "helpers.hpp"

#include <cstring>
#include <fstream>

using namespace xg;

namespace {
std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
}  // namespace

TEST_CASE("nn::save writes the safetensors layout: length, JSON header, aligned raw F32", "[serialize]") {
    const std::string path = test::temp_path("layout.safetensors");
    nn::Linear layer(2, 3);
    nn::init::constant_(layer.weight, 1.5);
    nn::init::constant_(layer.bias, -2.0);
    nn::save(layer, path);
    const std::string bytes = read_all(path);
    REQUIRE(bytes.size() >= 8);
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
    REQUIRE(8 + n + 4 * (6 + 3) == bytes.size());
    CHECK((8 + n) % 8 == 0);
    const std::string header = bytes.substr(8, n);
    CHECK(header.find(R"("weight":{"dtype":"F32","shape":[3,2],"data_offsets":[0,24]})") != std::string::npos);
    CHECK(header.find(R"("bias":{"dtype":"F32","shape":[3],"data_offsets":[24,36]})") != std::string::npos);
    float w0, b0;
    std::memcpy(&w0, bytes.data() + 8 + n, 4);
    std::memcpy(&b0, bytes.data() + 8 + n + 24, 4);
    CHECK(w0 == 1.5f);
    CHECK(b0 == -2.0f);
}

TEST_CASE("nn::load: a missing name, a wrong shape or an extra tensor is named, and nothing changes",
          "[serialize][errors]") {
    const std::string path = test::temp_path("small.safetensors");
    nn::save(nn::Sequential(nn::Linear(3, 4)), path);
    auto wider = nn::Sequential(nn::Linear(3, 5));
    const Tensor before = wider.at<nn::Linear>(0).weight.detach();
    CHECK_THROWS_WITH(nn::load(wider, path),
                      Catch::Contains("size mismatch for 0.weight: copying a param with shape [4, 3] from "
                                      "checkpoint, the shape in current model is [5, 3]"));
    CHECK(test::all_close(wider.at<nn::Linear>(0).weight, before, 0.0f));
    auto deeper = nn::Sequential(nn::Linear(3, 4), nn::ReLU(), nn::Linear(4, 1));
    CHECK_THROWS_WITH(nn::load(deeper, path),
                      Catch::Contains("Missing key(s) in state_dict: \"2.weight\", \"2.bias\"."));
    auto no_bias = nn::Sequential(nn::Linear(3, 4, false));
    CHECK_THROWS_WITH(nn::load(no_bias, path), Catch::Contains("Unexpected key(s) in state_dict: \"0.bias\"."));
    CHECK_THROWS_WITH(nn::load(no_bias, test::temp_path("does-not-exist")), Catch::Contains("can't open"));
}

TEST_CASE("safetensors: truncated and corrupt files are clear errors, never out-of-bounds reads",
          "[serialize][errors]") {
    const std::string path = test::temp_path("good.safetensors");
    nn::save(nn::Linear(2, 2), path);
    const std::string good = read_all(path);
    auto bad = [&](const std::string& bytes) { return safetensors::from_bytes(bytes, "bad.safetensors"); };
    CHECK_NOTHROW(bad(good));
    CHECK_THROWS_WITH(bad(good.substr(0, 5)), Catch::Contains("bad.safetensors: file is 5 bytes"));
    CHECK_THROWS_WITH(bad(good.substr(0, 20)), Catch::Contains("header length") && Catch::Contains("at byte 0"));
    CHECK_THROWS_WITH(bad(good.substr(0, good.size() - 4)), Catch::Contains("fall outside the data"));
    CHECK_THROWS_WITH(bad(good + "xxxx"), Catch::Contains("cover 24 of 28 data bytes"));
    std::string broken_json = good;
    broken_json[8] = '[';
    CHECK_THROWS_WITH(bad(broken_json), Catch::Contains("not valid JSON") || Catch::Contains("not a JSON object"));
    auto with_header = [&](const std::string& json) {
        std::string out(8, '\0');
        for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((json.size() >> (8 * i)) & 0xff);
        return out + json + std::string(16, '\0');
    };
    CHECK_THROWS_WITH(bad(with_header(R"({"w":{"dtype":"F128","shape":[2],"data_offsets":[0,16]}})")),
                      Catch::Contains("tensor 'w' has dtype \"F128\"; xgrad reads F32, F16"));
    CHECK_THROWS_WITH(bad(with_header(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})")),
                      Catch::Contains("tensor 'w': data_offsets hold 16 bytes, shape [3] of F32 needs 12"));
    CHECK_THROWS_WITH(bad(with_header(R"({"w":{"dtype":"F64","shape":[3],"data_offsets":[0,16]}})")),
                      Catch::Contains("shape [3] of F64 needs 24"));
    CHECK_THROWS_WITH(bad(with_header(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,16]}})")),
                      Catch::Contains("negative dim"));
    CHECK_THROWS_WITH(
        bad(with_header(
            R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"v":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})")),
        Catch::Contains("overlapping or missing"));
    CHECK_THROWS_WITH(
        bad(with_header(R"({"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}})")),
        Catch::Contains("too large"));
    CHECK_THROWS_WITH(bad(with_header(R"({"w":{"shape":[4]}})")),
                      Catch::Contains("needs dtype, shape and data_offsets"));
    // Found by fuzz_safetensors: a number too large for any JSON number type.
    CHECK_THROWS_WITH(bad(with_header(R"({"w":{"dtype":"F32","shape":[],"data_offsets":[0,8888808e808]}})")),
                      Catch::Contains("header is not valid JSON"));
}
