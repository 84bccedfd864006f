#pragma once

#include <string>

namespace cairn::bench {

// printf into a std::string (GCC 12 has no <format>, and fmt is not a
// dependency of the project).
std::string Printf(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace cairn::bench
