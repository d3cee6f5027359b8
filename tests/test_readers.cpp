// Readers against a careless or hostile file: what isn't a regular file (a directory,
// /dev/zero, a FIFO) is refused by name before a byte is read, by every reader of a user path;
// a gzip bomb is refused after inflating no more than its IDX header says the data needs; and
// nothing after the data (trailing bytes, garbage after the gzip stream, a second gzip member)
// passes silently. Small hostile files also live in tests/fuzz/corpus/idx/ (regression-*).
#include "helpers.hpp"

#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "core/file_io.hpp"

using namespace xg;
namespace fs = std::filesystem;

namespace {

using test::be32;
using test::gzip;
std::string le32(std::uint32_t v) {
    return {char(v & 0xff), char((v >> 8) & 0xff), char((v >> 16) & 0xff), char(v >> 24)};
}

std::string images_header(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
    return be32(0x803) + be32(n) + be32(rows) + be32(cols);
}

// 2 images of 2x3 pixels: 16 header bytes, then 12 data bytes 0..11.
std::string small_images() {
    std::string s = images_header(2, 2, 3);
    for (int i = 0; i < 12; ++i) s += char(i);
    return s;
}

// A valid gzip file of `head` followed by `mib` MiB of zeros, at deflate's ~1030:1 (3 GiB in
// 3 MB), built in milliseconds: after a full flush deflate forgets its history, so one
// compressed MiB of zeros is the same bytes every time and is simply repeated. The CRC and
// length in the trailer are right (crc32_combine), so only the size gives the bomb away.
std::string gzip_bomb(const std::string& head, std::uint32_t mib) {
    z_stream zs{};
    deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);  // raw deflate: the wrapper is ours
    auto compress = [&](const std::string& in, int flush) {
        std::string out(deflateBound(&zs, in.size()) + 64, '\0');
        zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        zs.avail_in = static_cast<uInt>(in.size());
        zs.next_out = reinterpret_cast<Bytef*>(out.data());
        zs.avail_out = static_cast<uInt>(out.size());
        deflate(&zs, flush);
        out.resize(out.size() - zs.avail_out);
        return out;
    };
    const std::string zeros(1 << 20, '\0');
    std::string out("\x1f\x8b\x08\0\0\0\0\0\0\x03", 10);  // gzip magic, deflate, no name, no time, Unix
    out += compress(head, Z_FULL_FLUSH);
    const std::string block = compress(zeros, Z_FULL_FLUSH);
    for (std::uint32_t i = 0; i < mib; ++i) out += block;
    out += compress("", Z_FINISH);
    deflateEnd(&zs);
    uLong crc = crc32(0, reinterpret_cast<const Bytef*>(head.data()), static_cast<uInt>(head.size()));
    const uLong zeros_crc = crc32(0, reinterpret_cast<const Bytef*>(zeros.data()), static_cast<uInt>(zeros.size()));
    for (std::uint32_t i = 0; i < mib; ++i) crc = crc32_combine(crc, zeros_crc, static_cast<z_off_t>(zeros.size()));
    const std::uint64_t total = head.size() + (std::uint64_t{mib} << 20);
    return out + le32(static_cast<std::uint32_t>(crc)) + le32(static_cast<std::uint32_t>(total));  // ISIZE: mod 2^32
}

std::string fresh_dir(const std::string& name) {
    const std::string dir = test::temp_path(name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

void write(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

// Seconds `f` takes.
template <class F>
double seconds(F&& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("readers: a directory, /dev/zero and a FIFO are refused by name, before any read", "[readers][errors]") {
    const std::string dir = fresh_dir("not-regular");
    const std::string fifo = dir + "/pipe";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);  // with no writer: opening it plainly would block forever
    // Every reader of a user path: the safetensors loader under nn::load and xg::load, and IDX.
    auto model = nn::Linear(2, 2);
    for (const auto& [path, kind] : std::vector<std::pair<std::string, std::string>>{
             {dir, "a directory"}, {"/dev/zero", "a character device"}, {fifo, "a FIFO (named pipe)"}}) {
        const auto named = Catch::Contains(path + " is " + kind + ", not a regular file");
        CHECK_THROWS_WITH(safetensors::load(path), Catch::Contains("safetensors: ") && named);
        CHECK_THROWS_WITH(nn::load(model, path), named);
        CHECK_THROWS_WITH(xg::load(path), named);
        CHECK_THROWS_WITH(data::read_idx(path, 3), Catch::Contains("IDX: ") && named);
    }
    CHECK_THROWS_WITH(read_regular_file("test", dir + "/missing", 100),
                      Catch::Contains("test: can't open " + dir + "/missing (No such file or directory)"));
    write(dir + "/big", std::string(101, 'x'));
    CHECK_THROWS_WITH(read_regular_file("test", dir + "/big", 100),
                      Catch::Contains("is 101 bytes, more than the 100 this reader accepts"));
    CHECK(read_regular_file("test", dir + "/big", 101) == std::string(101, 'x'));
}

TEST_CASE("MNIST: a data file that is a directory, a FIFO or a link to /dev/zero is named", "[readers][errors]") {
    const std::string root = fresh_dir("mnist-not-regular");
    write(root + "/t10k-labels-idx1-ubyte", be32(0x801) + be32(2) + std::string("\x01\x02", 2));
    const std::string images = root + "/t10k-images-idx3-ubyte";
    fs::create_directory(images);
    CHECK_THROWS_WITH(data::MNIST(root, false), Catch::Contains(images + " is a directory, not a regular file"));
    fs::remove(images);
    REQUIRE(::mkfifo(images.c_str(), 0600) == 0);
    CHECK_THROWS_WITH(data::MNIST(root, false), Catch::Contains(images + " is a FIFO"));
    fs::remove(images);
    fs::create_symlink("/dev/zero", images);
    CHECK_THROWS_WITH(data::MNIST(root, false), Catch::Contains(images + " is a character device"));
}

TEST_CASE("IDX: a gzip bomb is refused after inflating only what its header needs", "[readers][errors]") {
    const std::string dir = fresh_dir("gzip-bomb");
    // The generator itself: a header claiming exactly the zeros that follow parses.
    const data::IdxFile ok = data::parse_idx_gz(gzip_bomb(images_header(2, 1024, 512), 1), 3, "ok.gz");
    CHECK(ok.values.size() == std::size_t{1} << 20);
    CHECK(std::all_of(ok.values.begin(), ok.values.end(), [](std::uint8_t v) { return v == 0; }));

    // 3 GiB of zeros in about 3 MB behind MNIST's training header (47 MB of pixels): the zeros
    // past the 47 MB are trailing data, found without inflating them (before: 13.6 s, 4.2 GB).
    const std::string path = dir + "/train-images-idx3-ubyte.gz";
    write(path, gzip_bomb(images_header(60000, 28, 28), 3072));
    CHECK(fs::file_size(path) < 3'300'000);
    const double mnist_header = seconds([&] {
        CHECK_THROWS_WITH(data::read_idx(path, 3),
                          Catch::Contains(path + ": trailing bytes after decompressed byte 47040016, where the "
                                                 "47040000 data bytes the dims need end"));
    });
    // The same zeros behind a header claiming 12 bytes: refused after inflating 29.
    write(path, gzip_bomb(images_header(2, 2, 3), 3072));
    const double tiny_header = seconds([&] {
        CHECK_THROWS_WITH(data::read_idx(path, 3), Catch::Contains("trailing bytes after decompressed byte 28"));
    });
    // A header claiming all 3 GiB: more than one IDX file may hold, refused before allocating.
    write(path, gzip_bomb(images_header(3, 1024, 1 << 20), 3072));
    const double huge_header = seconds([&] {
        CHECK_THROWS_WITH(data::read_idx(path, 3),
                          Catch::Contains("dims at decompressed byte 12 need more than the 2147483648 bytes xgrad "
                                          "reads from one IDX file"));
    });
    INFO("rejected in " << mnist_header << " s, " << tiny_header << " s, " << huge_header << " s");
    CHECK(mnist_header < 2.0);  // inflating 47 MB of zeros: ~0.05 s; all 3 GiB took 13.6 s
    CHECK(tiny_header < 0.5);
    CHECK(huge_header < 0.5);
}

TEST_CASE("IDX: a gzip header claiming more than its file can inflate to is refused before allocating",
          "[readers][errors]") {
    // 60000 x 28 x 28 = 47 MB claimed by a file of a few dozen bytes: no deflate stream does that.
    const std::string claim = gzip(images_header(60000, 28, 28));
    CHECK_THROWS_WITH(
        data::parse_idx_gz(claim, 3, "claim.gz"),
        Catch::Contains("IDX: claim.gz: dims at decompressed byte 4 need more than the ") &&
            Catch::Contains("bytes a gzip file of " + std::to_string(claim.size()) + " bytes can inflate to"));
    // Dims whose product would wrap 64 bits are caught at the first dim that passes the limit.
    CHECK_THROWS_WITH(data::parse_idx_gz(gzip(images_header(0xffffffff, 0xffffffff, 0xffffffff)), 3, "wrap.gz"),
                      Catch::Contains("dims at decompressed byte 4 need more than"));
    CHECK_THROWS_WITH(data::parse_idx("", 256, "many"), Catch::Contains("expected_dims 256 is not in 1..255"));
    CHECK_THROWS_WITH(data::parse_idx(images_header(0x10000, 0x10000, 0x10000), 3, "wrap"),
                      Catch::Contains("dims at byte 4 need more than the 0 data bytes the file has"));
}

TEST_CASE("IDX: anything after the data or after the gzip stream is an error naming the byte", "[readers][errors]") {
    const std::string good = small_images(), gz = gzip(good);
    CHECK(data::parse_idx_gz(gz, 3, "good.gz").values.size() == 12);
    const std::string end = std::to_string(gz.size());
    CHECK_THROWS_WITH(data::parse_idx_gz(gz + gz, 3, "two.gz"),
                      Catch::Contains("gzip: two.gz: a second gzip member starts at compressed byte " + end));
    CHECK_THROWS_WITH(data::parse_idx_gz(gz + "junk", 3, "junk.gz"),
                      Catch::Contains("gzip: junk.gz: 4 bytes of trailing garbage from compressed byte " + end));
    CHECK_THROWS_WITH(data::parse_idx_gz(gz + std::string(3, '\0'), 3, "zeros.gz"),
                      Catch::Contains("3 bytes of trailing garbage from compressed byte " + end));
    // Inside the gzip stream: decompressed data longer or shorter than the dims say.
    CHECK_THROWS_WITH(data::parse_idx_gz(gzip(good + "x"), 3, "long.gz"),
                      Catch::Contains("long.gz: trailing bytes after decompressed byte 28"));
    CHECK_THROWS_WITH(
        data::parse_idx_gz(gzip(good.substr(0, 27)), 3, "short.gz"),
        Catch::Contains("short.gz: decompressed data has 11 data bytes after the header, dims need 12 (truncated)"));
    CHECK_THROWS_WITH(data::parse_idx_gz(gzip(good.substr(0, 10)), 3, "head.gz"),
                      Catch::Contains("decompressed data ends at decompressed byte 10, inside the header of 16 bytes"));
    // Raw: the same trailing byte, named at its offset.
    CHECK_THROWS_WITH(data::parse_idx(good + "x", 3, "long"), Catch::Contains("long: trailing bytes after byte 28"));
    // A file on disk goes through the same checks.
    const std::string path = fresh_dir("trailing") + "/t10k-images-idx3-ubyte.gz";
    write(path, gz + gz);
    CHECK_THROWS_WITH(data::read_idx(path, 3), Catch::Contains(path + ": a second gzip member"));
    write(path, gz);
    CHECK(data::read_idx(path, 3).dims == std::vector<std::uint32_t>{2, 2, 3});
}

TEST_CASE("IDX: every regression file in the fuzz corpus is an xg::Error, and every seed reads", "[readers][errors]") {
    // tests/fuzz/corpus/idx/: seeds (valid files) and regression-* files (hostile ones, each a
    // case above in miniature: a 4 KB bomb, trailing data, a second member, a header's claim).
    std::size_t regressions = 0, seeds = 0;
    for (const auto& entry : fs::directory_iterator(test::source_path("tests/fuzz/corpus/idx"))) {
        const std::string path = entry.path().string(), name = entry.path().filename().string();
        const std::size_t dims = name.find("labels") != std::string::npos ? 1 : 3;
        INFO(name);
        if (name.rfind("regression-", 0) == 0) {
            CHECK_THROWS_AS(data::read_idx(path, dims), Error);
            ++regressions;
        } else {
            CHECK_NOTHROW(data::read_idx(path, dims));
            ++seeds;
        }
    }
    CHECK(regressions >= 8);
    CHECK(seeds >= 5);
}
