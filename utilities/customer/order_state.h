// An order's status is derived, at whichever customer utility is asked, from
// the replicated records of all three kinds (DESIGN §3, claim 27): the order
// and cancel requests (customer groups), the route, executions, rejects and
// closures (street groups). No utility ever writes a status.
//
// Precedence, first match wins:
//   rejected          the venue or street utility rejected the order
//   filled            executions add up to the order's quantity
//   cancelled/expired a closure record closed the remainder
//   pending-cancel    a cancel request not yet confirmed nor refused
//   partially filled  some executions
//   new               routed (a route record exists)
//   pending-new       only the order exists so far

#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "idl/customer.capnp.h"
#include "idl/records.capnp.h"

namespace triad::customer {

// The street and customer records that concern one order, as read from the
// local replicas. Each list holds distinct records (callers read them keyed
// by record id, so a record replicated or published twice is counted once).
struct OrderRecords {
  idl::Order::Reader order;
  std::span<const idl::CancelRequest::Reader> cancels;
  const idl::Route::Reader* route = nullptr;  // nullptr until routed
  std::span<const idl::Execution::Reader> executions;
  std::span<const idl::Reject::Reader> rejects;
  std::span<const idl::Closure::Reader> closures;
};

struct DerivedStatus {
  idl::OrderState state = idl::OrderState::PENDING_NEW;
  int64_t filledQuantity = 0;
  int64_t averagePriceMicros = 0;  // quantity-weighted, rounded to nearest
  int64_t leavesQuantity = 0;      // still working at the venue (0 once done)
  std::string reason;              // why rejected, refused, expired or inconsistent
  // Executions add up to more than the order's quantity: a broken invariant
  // that verify reports; the status still says filled.
  bool overfilled = false;
};

DerivedStatus deriveStatus(const OrderRecords& records);

// "pending-new", "partially-filled", ...
std::string_view stateName(idl::OrderState state);

}  // namespace triad::customer
