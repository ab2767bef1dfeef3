// Echoing what a caller sent back inside an error reason or a log field.
//
// A refusal names the value it refused ("no account 'bobb'"), but the value
// is the caller's: it may be a megabyte long or hold control bytes. echo()
// returns at most `max` characters of it, each byte outside printable ASCII
// as \xNN, and says how long the original was when it had to cut, so that a
// reason stays one short line a person can read (issue 7, hostile input).

#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace triad::common {

inline constexpr size_t kMaxEcho = 40;

inline std::string echo(std::string_view text, size_t max = kMaxEcho) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  size_t i = 0;
  for (; i < text.size() && out.size() < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  if (i < text.size()) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

}  // namespace triad::common
