// A table with its record type fixed at compile time, so callers cannot put
// an Execution where an Order belongs:
//
//   constexpr bdb::Table<idl::Order> kOrders{"orders"};
//   Status s = kOrders.put(txn, Key::of(id), order.asReader());
//   bdb::Record<idl::Order> order;
//   s = kOrders.get(group, Key::of(id), &order);
//   int64_t quantity = order->getQuantity();

#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/debug.h>

#include <string_view>

#include "bdb/ownership_group.h"

namespace triad::bdb {

// A decoded record of type T owned by the caller.
template <typename T>
class Record {
 public:
  // An owned copy of the T at the root of `message`.
  static Record copyOf(capnp::MessageBuilder& message) {
    Record record;
    kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
    auto bytes = words.asBytes();
    Status s = Value::fromBytes({reinterpret_cast<const char*>(bytes.begin()), bytes.size()},
                                &record.value_);
    KJ_ASSERT(s.isOk(), "a message just built always decodes", s.toString());
    return record;
  }
  static Record copyOf(typename T::Reader reader) {
    capnp::MallocMessageBuilder message;
    message.setRoot(reader);
    return copyOf(message);
  }

  typename T::Reader reader() const { return value_.as<T>(); }
  const typename T::Reader* operator->() const {
    reader_ = reader();
    return &reader_;
  }
  Value& value() { return value_; }

 private:
  Value value_;
  mutable typename T::Reader reader_;  // what operator-> points at
};

template <typename T>
class Table {
 public:
  constexpr explicit Table(std::string_view name, TableKind kind = TableKind::kOrdered)
      : name_(name), kind_(kind) {}
  constexpr std::string_view name() const { return name_; }
  constexpr TableKind kind() const { return kind_; }

  Status put(WriteTxn& txn, const Key& key, typename T::Reader record) const {
    capnp::MallocMessageBuilder message;
    message.setRoot(record);
    return txn.put(name_, key, message);
  }
  // `message` must hold a T at its root.
  Status put(WriteTxn& txn, const Key& key, capnp::MessageBuilder& message) const {
    return txn.put(name_, key, message);
  }
  Status get(WriteTxn& txn, const Key& key, Record<T>* record) const {
    return txn.get(name_, key, &record->value());
  }
  Status get(OwnershipGroup& group, const Key& key, Record<T>* record) const {
    return group.get(name_, key, &record->value());
  }
  // Visits the records whose key starts with `prefix`, in key order, until
  // `visit` returns false. REQUIRES: an ordered table.
  template <typename Visit>
  Status scanPrefix(OwnershipGroup& group, const Key& prefix, Visit&& visit) const {
    KJ_REQUIRE(kind_ == TableKind::kOrdered, "a prefix scan needs an ordered table");
    return scan(group, prefix.view(), [&](std::string_view key, typename T::Reader record) {
      return key.substr(0, prefix.view().size()) == prefix.view() && visit(record);
    });
  }
  // The same, inside a write transaction (WriteTxn::scan: keep it short).
  template <typename Visit>
  Status scanPrefix(WriteTxn& txn, const Key& prefix, Visit&& visit) const {
    KJ_REQUIRE(kind_ == TableKind::kOrdered, "a prefix scan needs an ordered table");
    return scan(txn, prefix.view(), [&](std::string_view key, typename T::Reader record) {
      return key.substr(0, prefix.view().size()) == prefix.view() && visit(record);
    });
  }
  template <typename Visit>
  Status scan(WriteTxn& txn, std::string_view fromKey, Visit&& visit) const {
    return txn.scan(name_, fromKey, [&](std::string_view key, const Value& value) {
      return visit(key, value.as<T>());
    });
  }
  // Visits records from `fromKey` in key order; return false to stop. A
  // hashed table is visited whole (fromKey empty), in no particular order.
  template <typename Visit>
  Status scan(OwnershipGroup& group, std::string_view fromKey, Visit&& visit) const {
    return group.scan(name_, fromKey, [&](std::string_view key, const Value& value) {
      return visit(key, value.as<T>());
    });
  }

 private:
  std::string_view name_;
  TableKind kind_;
};

}  // namespace triad::bdb
