// Keys are byte strings that sort in the order cursors should visit them:
// integers big-endian, strings as their bytes followed by a 0 terminator so
// that a composite key ("account", sequence) sorts by account first.
// The encoding is documented in docs/storage.md.

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace triad::bdb {

class Key {
 public:
  Key() = default;

  // Appends a string component; it must not contain a NUL byte (REQUIRES).
  Key& add(std::string_view text);
  Key& addU64(uint64_t value);
  Key& addU32(uint32_t value);

  static Key of(std::string_view text) { return Key().add(text); }

  const std::string& bytes() const { return bytes_; }
  std::string_view view() const { return bytes_; }

 private:
  std::string bytes_;
};

// Reads the components of a key back, in the order they were added.
class KeyReader {
 public:
  explicit KeyReader(std::string_view bytes) : rest_(bytes) {}
  std::optional<std::string_view> text();
  std::optional<uint64_t> u64();
  std::optional<uint32_t> u32();
  bool atEnd() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace triad::bdb
