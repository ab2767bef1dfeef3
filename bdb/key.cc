#include "bdb/key.h"

#include <boost/endian/conversion.hpp>
#include <cassert>
#include <cstring>

namespace triad::bdb {

Key& Key::add(std::string_view text) {
  assert(text.find('\0') == std::string_view::npos && "key components cannot contain NUL");
  bytes_.append(text);
  bytes_.push_back('\0');
  return *this;
}

Key& Key::addU64(uint64_t value) {
  uint64_t big = boost::endian::native_to_big(value);
  bytes_.append(reinterpret_cast<const char*>(&big), sizeof big);
  return *this;
}

Key& Key::addU32(uint32_t value) {
  uint32_t big = boost::endian::native_to_big(value);
  bytes_.append(reinterpret_cast<const char*>(&big), sizeof big);
  return *this;
}

std::optional<std::string_view> KeyReader::text() {
  size_t end = rest_.find('\0');
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view component = rest_.substr(0, end);
  rest_.remove_prefix(end + 1);
  return component;
}

std::optional<uint64_t> KeyReader::u64() {
  if (rest_.size() < sizeof(uint64_t)) return std::nullopt;
  uint64_t big;
  std::memcpy(&big, rest_.data(), sizeof big);
  rest_.remove_prefix(sizeof big);
  return boost::endian::big_to_native(big);
}

std::optional<uint32_t> KeyReader::u32() {
  if (rest_.size() < sizeof(uint32_t)) return std::nullopt;
  uint32_t big;
  std::memcpy(&big, rest_.data(), sizeof big);
  rest_.remove_prefix(sizeof big);
  return boost::endian::big_to_native(big);
}

}  // namespace triad::bdb
