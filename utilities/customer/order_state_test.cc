#include "utilities/customer/order_state.h"

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <deque>
#include <vector>

namespace triad::customer {
namespace {

using idl::OrderState;

// Builds records the way they arrive from the replicas, and keeps their
// messages alive for the readers handed to deriveStatus.
class Records {
 public:
  explicit Records(int64_t quantity) {
    auto order = messages_.emplace_back().initRoot<idl::Order>();
    order.setId("cf1-000000001");
    order.setQuantity(quantity);
    order_ = order.asReader();
  }

  Records& routed() {
    auto route = messages_.emplace_back().initRoot<idl::Route>();
    route.setOrderId("cf1-000000001");
    route_ = route.asReader();
    return *this;
  }
  Records& fill(int64_t quantity, int64_t priceMicros) {
    auto execution = messages_.emplace_back().initRoot<idl::Execution>();
    execution.setId("ss1-" + std::to_string(executions_.size()));
    execution.setQuantity(quantity);
    execution.setPriceMicros(priceMicros);
    executions_.push_back(execution.asReader());
    return *this;
  }
  Records& cancelRequested(const std::string& id) {
    auto cancel = messages_.emplace_back().initRoot<idl::CancelRequest>();
    cancel.setId(id);
    cancels_.push_back(cancel.asReader());
    return *this;
  }
  Records& rejected(idl::Reject::Kind kind, const std::string& reason,
                    const std::string& cancelId = "") {
    auto reject = messages_.emplace_back().initRoot<idl::Reject>();
    reject.setKind(kind);
    reject.setReason(reason);
    reject.setCancelRequestId(cancelId);
    rejects_.push_back(reject.asReader());
    return *this;
  }
  Records& closed(idl::Closure::Reason reason) {
    auto closure = messages_.emplace_back().initRoot<idl::Closure>();
    closure.setReason(reason);
    closures_.push_back(closure.asReader());
    return *this;
  }

  DerivedStatus derive() const {
    OrderRecords records{order_,      cancels_, route_ ? &*route_ : nullptr,
                         executions_, rejects_, closures_};
    return deriveStatus(records);
  }

 private:
  std::deque<capnp::MallocMessageBuilder> messages_;
  idl::Order::Reader order_;
  std::optional<idl::Route::Reader> route_;
  std::vector<idl::CancelRequest::Reader> cancels_;
  std::vector<idl::Execution::Reader> executions_;
  std::vector<idl::Reject::Reader> rejects_;
  std::vector<idl::Closure::Reader> closures_;
};

TEST(OrderStateTest, OrderAloneIsPendingNewAndRoutedIsNew) {
  Records records(100);
  EXPECT_EQ(records.derive().state, OrderState::PENDING_NEW);
  EXPECT_EQ(records.derive().leavesQuantity, 100);
  EXPECT_EQ(records.routed().derive().state, OrderState::NEW);
}

TEST(OrderStateTest, FillsAddUpWithAQuantityWeightedAveragePrice) {
  Records records(100);
  records.routed().fill(40, 10'000'000);
  DerivedStatus partial = records.derive();
  EXPECT_EQ(partial.state, OrderState::PARTIALLY_FILLED);
  EXPECT_EQ(partial.filledQuantity, 40);
  EXPECT_EQ(partial.leavesQuantity, 60);
  records.fill(60, 10'500'000);
  DerivedStatus filled = records.derive();
  EXPECT_EQ(filled.state, OrderState::FILLED);
  EXPECT_EQ(filled.filledQuantity, 100);
  EXPECT_EQ(filled.leavesQuantity, 0);
  EXPECT_EQ(filled.averagePriceMicros, 10'300'000);  // (40*10 + 60*10.5) / 100
  EXPECT_FALSE(filled.overfilled);
}

TEST(OrderStateTest, CancelIsPendingUntilConfirmedAndKeepsItsFills) {
  Records records(100);
  records.routed().fill(30, 5'000'000).cancelRequested("cf2-000000001");
  EXPECT_EQ(records.derive().state, OrderState::PENDING_CANCEL);
  records.closed(idl::Closure::Reason::CANCELLED);
  DerivedStatus status = records.derive();
  EXPECT_EQ(status.state, OrderState::CANCELLED);
  EXPECT_EQ(status.filledQuantity, 30);
  EXPECT_EQ(status.leavesQuantity, 0);
}

TEST(OrderStateTest, RefusedCancelFallsBackToTheWorkingState) {
  Records records(100);
  records.routed().fill(100, 1'000'000).cancelRequested("cf3-000000009");
  // Filled wins over a cancel that came too late.
  EXPECT_EQ(records.derive().state, OrderState::FILLED);

  Records working(100);
  working.routed().cancelRequested("cf3-000000009");
  working.rejected(idl::Reject::Kind::CANCEL_REFUSED, "too late to cancel", "cf3-000000009");
  DerivedStatus status = working.derive();
  EXPECT_EQ(status.state, OrderState::NEW);
  EXPECT_EQ(status.reason, "too late to cancel");
}

TEST(OrderStateTest, RejectedOrderSaysWhy) {
  Records records(100);
  records.rejected(idl::Reject::Kind::ORDER_REJECTED, "unknown symbol at venue");
  DerivedStatus status = records.derive();
  EXPECT_EQ(status.state, OrderState::REJECTED);
  EXPECT_EQ(status.reason, "unknown symbol at venue");
  EXPECT_EQ(status.leavesQuantity, 0);
}

TEST(OrderStateTest, ImmediateOrCancelRemainderExpires) {
  Records records(100);
  records.routed().fill(25, 2'000'000).closed(idl::Closure::Reason::EXPIRED);
  DerivedStatus status = records.derive();
  EXPECT_EQ(status.state, OrderState::EXPIRED);
  EXPECT_EQ(status.filledQuantity, 25);
}

TEST(OrderStateTest, OverfillIsFlaggedNotHidden) {
  Records records(10);
  records.routed().fill(10, 1'000'000).fill(5, 1'000'000);
  DerivedStatus status = records.derive();
  EXPECT_EQ(status.state, OrderState::FILLED);
  EXPECT_TRUE(status.overfilled);
  EXPECT_NE(status.reason.find("more than the order's 10"), std::string::npos);
}

TEST(OrderStateTest, StateNamesAreTheCustomersWords) {
  EXPECT_EQ(stateName(OrderState::PARTIALLY_FILLED), "partially-filled");
  EXPECT_EQ(stateName(OrderState::PENDING_CANCEL), "pending-cancel");
}

}  // namespace
}  // namespace triad::customer
