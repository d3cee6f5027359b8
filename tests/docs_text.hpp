// Shared by the docs tests (test_docs*.cpp): expected output written out as a page shows it.
#pragma once

#include <string>

namespace xg::test {

// The text between R"( and )" without the newline that opens it, so the expected output starts on
// its own line in the test, as on the page: page_text(R"(\nline 1\nline 2\n)") is "line 1\nline 2\n".
inline std::string page_text(const char* raw) {
    std::string s(raw);
    if (!s.empty() && s.front() == '\n') s.erase(0, 1);
    return s;
}

}  // namespace xg::test
