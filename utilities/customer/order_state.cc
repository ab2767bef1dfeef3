#include "utilities/customer/order_state.h"

namespace triad::customer {

std::string_view stateName(idl::OrderState state) {
  switch (state) {
    case idl::OrderState::PENDING_NEW:
      return "pending-new";
    case idl::OrderState::NEW:
      return "new";
    case idl::OrderState::PARTIALLY_FILLED:
      return "partially-filled";
    case idl::OrderState::FILLED:
      return "filled";
    case idl::OrderState::PENDING_CANCEL:
      return "pending-cancel";
    case idl::OrderState::CANCELLED:
      return "cancelled";
    case idl::OrderState::REJECTED:
      return "rejected";
    case idl::OrderState::EXPIRED:
      return "expired";
  }
  return "unknown";
}

DerivedStatus deriveStatus(const OrderRecords& records) {
  DerivedStatus status;
  const int64_t quantity = records.order.getQuantity();

  __int128 notionalMicros = 0;
  for (const idl::Execution::Reader& execution : records.executions) {
    status.filledQuantity += execution.getQuantity();
    notionalMicros += static_cast<__int128>(execution.getQuantity()) * execution.getPriceMicros();
  }
  if (status.filledQuantity > 0) {
    status.averagePriceMicros =
        static_cast<int64_t>((notionalMicros + status.filledQuantity / 2) / status.filledQuantity);
  }
  status.overfilled = status.filledQuantity > quantity;
  status.leavesQuantity = std::max<int64_t>(0, quantity - status.filledQuantity);

  for (const idl::Reject::Reader& reject : records.rejects) {
    if (reject.getKind() == idl::Reject::Kind::ORDER_REJECTED) {
      status.state = idl::OrderState::REJECTED;
      status.reason = reject.getReason();
      status.leavesQuantity = 0;
      return status;
    }
  }
  if (status.filledQuantity >= quantity) {
    status.state = idl::OrderState::FILLED;
    if (status.overfilled) {
      status.reason = "executions total " + std::to_string(status.filledQuantity) +
                      ", more than the order's " + std::to_string(quantity);
    }
    return status;
  }
  if (!records.closures.empty()) {
    const idl::Closure::Reader& closure = records.closures.front();
    const bool expired = closure.getReason() == idl::Closure::Reason::EXPIRED;
    status.state = expired ? idl::OrderState::EXPIRED : idl::OrderState::CANCELLED;
    status.leavesQuantity = 0;
    if (expired) status.reason = "expired unfilled at the venue";
    return status;
  }
  // A cancel is pending while some request has been neither confirmed (a
  // closure, handled above) nor refused.
  for (const idl::CancelRequest::Reader& cancel : records.cancels) {
    bool refused = false;
    for (const idl::Reject::Reader& reject : records.rejects) {
      refused = refused || (reject.getKind() == idl::Reject::Kind::CANCEL_REFUSED &&
                            reject.getCancelRequestId() == cancel.getId());
    }
    if (!refused) {
      status.state = idl::OrderState::PENDING_CANCEL;
      return status;
    }
  }
  for (const idl::Reject::Reader& reject : records.rejects) {
    if (reject.getKind() == idl::Reject::Kind::CANCEL_REFUSED) status.reason = reject.getReason();
  }
  if (status.filledQuantity > 0) {
    status.state = idl::OrderState::PARTIALLY_FILLED;
  } else if (records.route != nullptr) {
    status.state = idl::OrderState::NEW;
  } else {
    status.state = idl::OrderState::PENDING_NEW;
  }
  return status;
}

}  // namespace triad::customer
