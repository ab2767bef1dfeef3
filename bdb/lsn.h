// A Berkeley DB log sequence number: where a record starts in a group's log.
// The owner's log is the group's: every replica applies the same records at
// the same LSNs, so LSNs compare across sites.

#pragma once

#include <compare>
#include <cstdint>

namespace triad::bdb {

struct Lsn {
  uint32_t file = 0;
  uint32_t offset = 0;
  friend auto operator<=>(const Lsn&, const Lsn&) = default;

  bool isZero() const { return file == 0 && offset == 0; }
  // One number that orders as the LSN does (file in the high half).
  uint64_t packed() const { return (static_cast<uint64_t>(file) << 32) | offset; }
  static Lsn unpacked(uint64_t packed) {
    return {static_cast<uint32_t>(packed >> 32), static_cast<uint32_t>(packed)};
  }
};

}  // namespace triad::bdb
