#include "utilities/street/report_recorder.h"

#include <variant>

#include "utilities/common/crash_point.h"
#include "utilities/street/venue_session.h"

namespace triad::street {

using exchange::ExecutionKind;

namespace {

// Whether retrying a write could succeed. NotReplicated is durable here:
// recorded, only unacknowledged, so the report is consumed.
bool isRetryable(const RecordError& error) {
  return error.code == RecordErrorCode::kStorage &&
         error.storage.code() != bdb::Status::Code::kNotReplicated;
}

idl::RefusedReport::Reason refusalReason(RecordErrorCode code) {
  switch (code) {
    case RecordErrorCode::kOverfill:
      return idl::RefusedReport::Reason::OVERFILL;
    case RecordErrorCode::kUnknownOrder:
    case RecordErrorCode::kWrongStreet:
      return idl::RefusedReport::Reason::UNKNOWN_ORDER;
    case RecordErrorCode::kConflictingReport:
      return idl::RefusedReport::Reason::CONFLICTING_EXEC_ID;
    case RecordErrorCode::kInvalidReport:
    case RecordErrorCode::kStorage:
      break;
  }
  return idl::RefusedReport::Reason::INVALID;
}

// A session reject cannot come back (a resend replaces it with a gap fill):
// a storage failure is retried here a few times before it is given up.
constexpr int kRejectAttempts = 3;

}  // namespace

template <typename T>
void ReportRecorder::announce(const Recorded<T>& recorded) {
  if (bus_ != nullptr && !recorded.duplicate) bus_->announce(recorded.record.reader());
}

HandlerOutcome ReportRecorder::failed(const RecordError& error, RefusedReportEntry entry) {
  if (error.code == RecordErrorCode::kStorage &&
      error.storage.code() == bdb::Status::Code::kNotReplicated) {
    logger_.warning(
        "report-unreplicated",
        {{"venue", entry.venue}, {"order", entry.orderId}, {"report", entry.venueExecId}});
    return HandlerOutcome::kDone;
  }
  const std::string reason = error.toString();
  if (isRetryable(error)) {
    logger_.warning("report-retry", {{"venue", entry.venue},
                                     {"order", entry.orderId},
                                     {"report", entry.venueExecId},
                                     {"reason", reason}});
    return HandlerOutcome::kRetryLater;
  }
  // It may be money: kept for an operator, counted, and raised.
  entry.reason = refusalReason(error.code);
  entry.detail = reason;
  auto kept = recorder_.recordRefused(entry);
  if (auto* keepError = std::get_if<RecordError>(&kept); keepError && isRetryable(*keepError)) {
    logger_.warning("report-retry", {{"venue", entry.venue},
                                     {"order", entry.orderId},
                                     {"report", entry.venueExecId},
                                     {"reason", keepError->toString()}});
    return HandlerOutcome::kRetryLater;
  }
  const bool* isNew = std::get_if<bool>(&kept);
  if (isNew == nullptr || *isNew) {
    watch_.countRefusedReport(error.code == RecordErrorCode::kOverfill);
  }
  logger_.error(
      error.code == RecordErrorCode::kOverfill ? "alarm-overfill" : "alarm-refused-report",
      {{"venue", entry.venue},
       {"order", entry.orderId},
       {"clordid", entry.clOrdId},
       {"report", entry.venueExecId},
       {"reason", reason},
       {"kept", isNew != nullptr}});
  return HandlerOutcome::kDone;
}

HandlerOutcome ReportRecorder::onExecutionReport(const exchange::ExecutionReportMessage& report,
                                                 const std::string& message) {
  // A cancel's report names the cancel request in ClOrdID and the order in
  // OrigClOrdID; every other report names the order in ClOrdID.
  const bool answersCancel = !report.origClOrdId.empty();
  const std::string& orderId = answersCancel ? report.origClOrdId : report.clOrdId;
  if (report.kind == ExecutionKind::kRejected &&
      report.ordRejReason == exchange::kRejectDuplicateOrder && report.orderId == "NONE") {
    logger_.info("duplicate-clordid-ignored",
                 {{"venue", report.session}, {"clordid", report.clOrdId}});
    return HandlerOutcome::kDone;
  }
  watch_.answered(report.clOrdId);
  if (report.kind == ExecutionKind::kNew) {
    watch_.acknowledged({.orderId = orderId, .venueOrderId = report.orderId, .atNanos = clock_()});
    return HandlerOutcome::kDone;
  }
  const std::string session = venueSessionOf(report.tradeDate, report.transactTimeNanos, clock_());
  RefusedReportEntry refusal{.venue = report.session,
                             .venueSession = session,
                             .venueExecId = report.execId,
                             .clOrdId = report.clOrdId,
                             .orderId = orderId,
                             .detail = {},
                             .quantity = report.lastQuantity,
                             .priceMicros = report.lastPriceMicros,
                             .message = message};
  auto found = recorder_.findOrder(orderId);
  if (auto* error = std::get_if<RecordError>(&found)) {
    refusal.orderId.clear();
    return failed(*error, refusal);
  }
  idl::Order::Reader order = std::get<bdb::Record<idl::Order>>(found).reader();
  // The venue has the order; whatever this report says answers it.
  watch_.superseded(orderId);

  switch (report.kind) {
    case ExecutionKind::kPartialFill:
    case ExecutionKind::kFill: {
      common::crashPoint("street.before-record");
      auto recorded = recorder_.recordFill(order, {.venueExecId = report.execId,
                                                   .venueSession = session,
                                                   .quantity = report.lastQuantity,
                                                   .priceMicros = report.lastPriceMicros});
      if (auto* error = std::get_if<RecordError>(&recorded)) return failed(*error, refusal);
      announce(std::get<0>(recorded));
      break;
    }
    case ExecutionKind::kRejected: {
      auto recorded = recorder_.recordReject(order, {.venueExecId = report.execId,
                                                     .venueSession = session,
                                                     .kind = idl::Reject::Kind::ORDER_REJECTED,
                                                     .reason = report.text});
      if (auto* error = std::get_if<RecordError>(&recorded)) return failed(*error, refusal);
      announce(std::get<0>(recorded));
      break;
    }
    case ExecutionKind::kCancelled:
    case ExecutionKind::kExpired: {
      const bool expired = report.kind == ExecutionKind::kExpired;
      auto recorded = recorder_.recordClosure(
          order,
          {.venueExecId = report.execId,
           .venueSession = session,
           .reason = expired ? idl::Closure::Reason::EXPIRED : idl::Closure::Reason::CANCELLED,
           .cancelRequestId = (answersCancel && !expired) ? report.clOrdId : ""});
      if (auto* error = std::get_if<RecordError>(&recorded)) return failed(*error, refusal);
      announce(std::get<0>(recorded));
      break;
    }
    case ExecutionKind::kNew:
      break;
  }
  return HandlerOutcome::kDone;
}

HandlerOutcome ReportRecorder::onCancelReject(const exchange::CancelRejectMessage& reject) {
  if (reject.reason == exchange::CancelRejectReason::kDuplicateClOrdId) {
    logger_.info("duplicate-cancel-ignored",
                 {{"venue", reject.session}, {"clordid", reject.clOrdId}});
    return HandlerOutcome::kDone;
  }
  watch_.answered(reject.clOrdId);
  const std::string venueExecId = reject.session + ":cancel-reject:" + reject.clOrdId;
  RefusedReportEntry refusal{.venue = reject.session,
                             .venueExecId = venueExecId,
                             .clOrdId = reject.clOrdId,
                             .orderId = reject.origClOrdId,
                             .detail = {}};
  auto found = recorder_.findOrder(reject.origClOrdId);
  if (auto* error = std::get_if<RecordError>(&found)) return failed(*error, refusal);
  auto recorded = recorder_.recordReject(std::get<bdb::Record<idl::Order>>(found).reader(),
                                         {.venueExecId = venueExecId,
                                          .kind = idl::Reject::Kind::CANCEL_REFUSED,
                                          .reason = reject.text,
                                          .cancelRequestId = reject.clOrdId});
  if (auto* error = std::get_if<RecordError>(&recorded)) return failed(*error, refusal);
  announce(std::get<0>(recorded));
  return HandlerOutcome::kDone;
}

HandlerOutcome ReportRecorder::onVenueReject(const VenueReject& reject) {
  watch_.countVenueReject();
  HandlerOutcome outcome = HandlerOutcome::kRetryLater;
  for (int attempt = 0; attempt < kRejectAttempts && outcome == HandlerOutcome::kRetryLater;
       ++attempt) {
    outcome = recordVenueReject(reject);
  }
  return outcome;
}

HandlerOutcome ReportRecorder::recordVenueReject(const VenueReject& reject) {
  const char* kind = reject.business ? "business" : "session";
  const std::string words =
      std::string("venue ") + reject.venue + " refused the " +
      (reject.refMsgType == "F" ? "cancel request" : "order") + " (" + kind + " reject" +
      (reject.refTagId != 0 ? ", tag " + std::to_string(reject.refTagId) : std::string()) +
      (reject.reason >= 0 ? ", reason " + std::to_string(reject.reason) : std::string()) + ")" +
      (reject.text.empty() ? "" : ": " + reject.text);
  const bool aboutOrder = reject.refMsgType == "D";
  const bool aboutCancel = reject.refMsgType == "F" && !reject.origClOrdId.empty();
  if (reject.clOrdId.empty() || (!aboutOrder && !aboutCancel)) {
    // A status request refused, or a message this street cannot find again.
    if (reject.refMsgType != "H") watch_.countUnknownReference();
    watch_.answered(reject.clOrdId);
    logger_.error("alarm-venue-reject", {{"venue", reject.venue},
                                         {"kind", kind},
                                         {"ref_msg_type", reject.refMsgType},
                                         {"ref_seq_num", reject.refSeqNum},
                                         {"clordid", reject.clOrdId},
                                         {"reason", words},
                                         {"message", reject.message}});
    return HandlerOutcome::kDone;
  }
  const std::string orderId = aboutOrder ? reject.clOrdId : reject.origClOrdId;
  const std::string venueExecId =
      reject.venue + (reject.business ? ":business-reject:" : ":session-reject:") + reject.clOrdId;
  RefusedReportEntry refusal{.venue = reject.venue,
                             .venueExecId = venueExecId,
                             .clOrdId = reject.clOrdId,
                             .orderId = orderId,
                             .detail = {},
                             .message = reject.message};
  auto found = recorder_.findOrder(orderId);
  if (auto* error = std::get_if<RecordError>(&found)) {
    if (error->code == RecordErrorCode::kUnknownOrder) watch_.countUnknownReference();
    return failed(*error, refusal);
  }
  watch_.answered(reject.clOrdId);
  watch_.superseded(orderId);
  RejectReport report{
      .venueExecId = venueExecId,
      .kind = aboutOrder ? idl::Reject::Kind::ORDER_REJECTED : idl::Reject::Kind::CANCEL_REFUSED,
      .reason = words,
      .cancelRequestId = aboutOrder ? "" : reject.clOrdId};
  auto recorded = recorder_.recordReject(std::get<bdb::Record<idl::Order>>(found).reader(), report);
  if (auto* error = std::get_if<RecordError>(&recorded)) return failed(*error, refusal);
  announce(std::get<0>(recorded));
  logger_.warning("venue-reject", {{"venue", reject.venue},
                                   {"kind", kind},
                                   {"order", orderId},
                                   {"clordid", reject.clOrdId},
                                   {"reason", words}});
  return HandlerOutcome::kDone;
}

HandlerOutcome ReportRecorder::onOrderStatus(const OrderStatusAnswer& answer) {
  const bool known = !answer.unknownOrder();
  // A start-up check first: answered() would take it for a report that the
  // venue has the order.
  const std::optional<bool> check = watch_.checked(answer.clOrdId, known);
  watch_.answered(answer.clOrdId);
  logger_.info("order-status-answer", {{"venue", answer.venue},
                                       {"clordid", answer.clOrdId},
                                       {"known", known},
                                       {"ord_status", std::string(1, answer.ordStatus)},
                                       {"cum_qty", answer.cumulativeQuantity},
                                       {"startup_check", check.has_value()}});
  if (!known) {
    if (!check) {
      logger_.error("alarm-order-unknown-at-venue",
                    {{"venue", answer.venue}, {"clordid", answer.clOrdId}, {"text", answer.text}});
    }
    return HandlerOutcome::kDone;
  }
  // The venue has it: an acknowledgement, written with the next pass's.
  watch_.acknowledged(
      {.orderId = answer.clOrdId, .venueOrderId = answer.venueOrderId, .atNanos = clock_()});
  return HandlerOutcome::kDone;
}

void ReportRecorder::onMarketData(const exchange::MarketDataMessage& update) {
  if (bus_ != nullptr) bus_->relay(update.session, update);
}

void ReportRecorder::onLogon(const std::string& venue) {
  logger_.info("fix-logon", {{"venue", venue}});
  if (bus_ != nullptr) bus_->venueStatus(venue, true, "");
}

void ReportRecorder::onLogout(const std::string& venue) {
  logger_.info("fix-logout", {{"venue", venue}});
  if (bus_ != nullptr) bus_->venueStatus(venue, false, "FIX session logged out or disconnected");
}

}  // namespace triad::street
