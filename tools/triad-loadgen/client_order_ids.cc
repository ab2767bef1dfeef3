#include "tools/triad-loadgen/client_order_ids.h"

#include <cinttypes>
#include <cstdio>
#include <random>

namespace triad::loadgen {
namespace {

uint64_t randomNonce() {
  std::random_device source;  // 32 bits a call
  return (static_cast<uint64_t>(source()) << 32) ^ source();
}

}  // namespace

ClientOrderIds::ClientOrderIds() : ClientOrderIds(randomNonce()) {}

ClientOrderIds::ClientOrderIds(uint64_t nonce) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016" PRIx64, nonce);
  nonce_ = hex;
}

std::string ClientOrderIds::next(std::string_view kind) {
  std::string id(kind);
  id += '-';
  id += nonce_;
  id += '-';
  id += std::to_string(++sent_);
  return id;
}

}  // namespace triad::loadgen
