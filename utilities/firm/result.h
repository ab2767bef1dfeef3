// What every operation on the firm's books answers: a value, or an Error that
// crosses the wire as idl::Error (the codes are idl/customer.capnp's ErrorCode)
// with one line a person can act on. A storage failure keeps its bdb::Status,
// so callers can tell "not replicated" from "refused" without parsing text.
// Business logic never throws; a caller reading the wrong alternative is a bug
// (KJ_REQUIRE).

#pragma once

#include <kj/debug.h>

#include <string>
#include <utility>
#include <variant>

#include "bdb/status.h"
#include "idl/customer.capnp.h"
#include "utilities/common/call_refusal.h"

namespace triad::firm {

struct Error {
  idl::ErrorCode code = idl::ErrorCode::INTERNAL;
  std::string reason;
  bdb::Status storage;  // ok unless the storage layer failed

  static Error refused(idl::ErrorCode code, std::string reason) {
    return Error{code, std::move(reason), bdb::Status::ok()};
  }
  // NotReplicated stays notReplicated; lockouts, conflicts and a group not yet
  // joined are unavailable (retry); everything else is internal.
  static Error fromStorage(bdb::Status status);

  bool isStorage() const { return !storage.isOk(); }
};

using common::errorCodeName;

struct Done {};

template <typename T = Done>
class [[nodiscard]] Result {
 public:
  Result() requires std::is_same_v<T, Done> : state_(Done{}) {}
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}

  bool isOk() const { return state_.index() == 0; }

  const T& value() const& {
    KJ_REQUIRE(isOk(), "reading the value of a failed result", error().reason);
    return std::get<0>(state_);
  }
  T& value() & {
    KJ_REQUIRE(isOk(), "reading the value of a failed result", error().reason);
    return std::get<0>(state_);
  }
  T&& value() && {
    KJ_REQUIRE(isOk(), "reading the value of a failed result", error().reason);
    return std::get<0>(std::move(state_));
  }
  const Error& error() const {
    KJ_REQUIRE(!isOk(), "reading the error of a successful result");
    return std::get<1>(state_);
  }

  // "insufficientBuyingPower: insufficient settled cash: needs 1,000.00, has 250.00"
  std::string toString() const {
    if (isOk()) return "ok";
    return std::string(errorCodeName(error().code)) + ": " + error().reason;
  }

 private:
  std::variant<T, Error> state_;
};

}  // namespace triad::firm
