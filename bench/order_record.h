// The record the storage floor benchmark commits: an idl::Order as a
// customer utility writes it (every field set, ~200 bytes serialised),
// keyed by its id. Each writer has ids of its own, so that the baseline's
// concurrent transactions do not all insert at the same B-tree page.

#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "idl/records.capnp.h"

namespace triad::bench {

struct OrderRecord {
  std::string id;
  capnp::MallocMessageBuilder message{64};
};

// Fills `record` as order number `sequence` of writer `writer` at `site`.
inline void fillOrder(OrderRecord& record, const std::string& site, int writer, uint64_t sequence) {
  char id[48];
  snprintf(id, sizeof id, "%s-%03d-%09llu", site.c_str(), writer,
           static_cast<unsigned long long>(sequence));
  record.id = id;
  char account[24];
  snprintf(account, sizeof account, "acct-%06d", writer);
  auto order = record.message.initRoot<idl::Order>();
  order.setId(record.id);
  order.setAccount(account);
  order.setClientOrderId("bench-" + record.id);
  order.setSymbol("ACME");
  order.setSide(sequence % 2 == 0 ? idl::Side::BUY : idl::Side::SELL);
  order.setType(idl::OrderType::LIMIT);
  order.setTimeInForce(idl::TimeInForce::DAY);
  order.setQuantity(100);
  order.setLimitPriceMicros(101'250'000);
  order.setCurrency("USD");
  order.setStreet("ss1");
  order.setVenue("xnys");
  order.setReservedMicros(10'125'000'000);
  order.setPlacedAtNanos(static_cast<int64_t>(sequence) * 1000);
  order.setSession(account + std::string("-session"));
}

inline size_t serializedBytes(OrderRecord& record) {
  return capnp::computeSerializedSizeInWords(record.message) * sizeof(capnp::word);
}

}  // namespace triad::bench
