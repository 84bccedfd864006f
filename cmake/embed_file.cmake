# Writes OUTPUT, a C++ file defining `extern const std::string_view SYMBOL`
# (namespace cairn::cmd) with INPUT's bytes: a file compiled into a binary.
# Usage: cmake -DINPUT=f -DOUTPUT=f.cc -DSYMBOL=kName -P embed_file.cmake
file(READ ${INPUT} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE ${OUTPUT}.tmp
  "// Generated from ${INPUT} by cmake/embed_file.cmake: do not edit.\n"
  "#include <string_view>\n"
  "namespace cairn::cmd {\n"
  "namespace {\n"
  "constexpr char kBytes[] = {${bytes} 0};\n"
  "}  // namespace\n"
  "extern const std::string_view ${SYMBOL};\n"
  "const std::string_view ${SYMBOL}(kBytes, sizeof kBytes - 1);\n"
  "}  // namespace cairn::cmd\n")
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
