// read_regular_file: open without blocking, ask the opened file what it is, then read exactly
// the size it reported.
#include "core/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <new>
#include <system_error>

#include "core/error.hpp"
#include "core/format.hpp"

namespace xg {

namespace {

// What a stat mode is, for "x is a directory, not a regular file".
const char* kind_of(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISSOCK(mode)) return "a socket";
    return "a special file";
}

std::string errno_text(int err) { return std::generic_category().message(err); }

// Closes the descriptor on every path out, errors included.
struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

std::string read_regular_file(const std::string& who, const std::string& path, std::uint64_t max_bytes) {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. The type
    // is asked of the opened descriptor (fstat), not of the name, so nothing can be swapped in
    // between the check and the read.
    Fd f{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
    if (f.fd < 0) throw Error(who + ": can't open " + path + " (" + errno_text(errno) + ")");
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) throw Error(who + ": can't stat " + path + " (" + errno_text(errno) + ")");
    if (!S_ISREG(st.st_mode)) throw Error(who + ": " + path + " is " + kind_of(st.st_mode) + ", not a regular file");
    ::fcntl(f.fd, F_SETFL, ::fcntl(f.fd, F_GETFL) & ~O_NONBLOCK);  // plain blocking reads from here on
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > max_bytes) {
        throw Error(who + ": " + path + " is " + format_number(size) + " bytes, more than the " +
                    format_number(max_bytes) + " this reader accepts");
    }
    std::string bytes;
    try {
        bytes.resize(static_cast<std::size_t>(size));
    } catch (const std::bad_alloc&) {
        throw Error(who + ": " + path + " is " + format_number(size) + " bytes, more than fits in memory");
    }
    std::size_t got = 0;
    while (got < bytes.size()) {
        const ssize_t n = ::read(f.fd, bytes.data() + got, bytes.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            throw Error(who + ": reading " + path + " failed at byte " + format_number(got) + " (" + errno_text(errno) +
                        ")");
        }
        if (n == 0) {
            throw Error(who + ": " + path + " shrank while being read: it ends at byte " + format_number(got) +
                        ", not " + format_number(size));
        }
        got += static_cast<std::size_t>(n);
    }
    return bytes;
}

}  // namespace xg
