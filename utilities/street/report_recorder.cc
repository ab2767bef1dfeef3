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

}  // namespace

template <typename T>
void ReportRecorder::announce(const Recorded<T>& recorded) {
  if (bus_ != nullptr && !recorded.duplicate) bus_->announce(recorded.record.reader());
}

HandlerOutcome ReportRecorder::failed(const RecordError& error, const std::string& venue,
                                      const std::string& orderId, const std::string& what) {
  if (error.code == RecordErrorCode::kStorage &&
      error.storage.code() == bdb::Status::Code::kNotReplicated) {
    logger_.warning("report-unreplicated",
                    {{"venue", venue}, {"order", orderId}, {"report", what}});
    return HandlerOutcome::kDone;
  }
  const std::string reason = error.toString();
  if (isRetryable(error)) {
    logger_.warning("report-retry",
                    {{"venue", venue}, {"order", orderId}, {"report", what}, {"reason", reason}});
    return HandlerOutcome::kRetryLater;
  }
  logger_.error("report-refused",
                {{"venue", venue}, {"order", orderId}, {"report", what}, {"reason", reason}});
  return HandlerOutcome::kDone;
}

HandlerOutcome ReportRecorder::onExecutionReport(const exchange::ExecutionReportMessage& report) {
  if (report.kind == ExecutionKind::kNew) return HandlerOutcome::kDone;
  if (report.kind == ExecutionKind::kRejected &&
      report.ordRejReason == exchange::kRejectDuplicateOrder && report.orderId == "NONE") {
    logger_.info("duplicate-clordid-ignored",
                 {{"venue", report.session}, {"clordid", report.clOrdId}});
    return HandlerOutcome::kDone;
  }
  // A cancel's report names the cancel request in ClOrdID and the order in
  // OrigClOrdID; every other report names the order in ClOrdID.
  const bool answersCancel = !report.origClOrdId.empty();
  const std::string& orderId = answersCancel ? report.origClOrdId : report.clOrdId;
  auto found = recorder_.findOrder(orderId);
  if (auto* error = std::get_if<RecordError>(&found)) {
    return failed(*error, report.session, orderId, report.execId);
  }
  idl::Order::Reader order = std::get<bdb::Record<idl::Order>>(found).reader();
  const std::string session = venueSessionOf(report.tradeDate, report.transactTimeNanos, clock_());

  switch (report.kind) {
    case ExecutionKind::kPartialFill:
    case ExecutionKind::kFill: {
      common::crashPoint("street.before-record");
      auto recorded = recorder_.recordFill(order, {.venueExecId = report.execId,
                                                   .venueSession = session,
                                                   .quantity = report.lastQuantity,
                                                   .priceMicros = report.lastPriceMicros});
      if (auto* error = std::get_if<RecordError>(&recorded)) {
        return failed(*error, report.session, orderId, report.execId);
      }
      announce(std::get<0>(recorded));
      break;
    }
    case ExecutionKind::kRejected: {
      auto recorded = recorder_.recordReject(order, {.venueExecId = report.execId,
                                                     .venueSession = session,
                                                     .kind = idl::Reject::Kind::ORDER_REJECTED,
                                                     .reason = report.text});
      if (auto* error = std::get_if<RecordError>(&recorded)) {
        return failed(*error, report.session, orderId, report.execId);
      }
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
      if (auto* error = std::get_if<RecordError>(&recorded)) {
        return failed(*error, report.session, orderId, report.execId);
      }
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
  const std::string venueExecId = reject.session + ":cancel-reject:" + reject.clOrdId;
  auto found = recorder_.findOrder(reject.origClOrdId);
  if (auto* error = std::get_if<RecordError>(&found)) {
    return failed(*error, reject.session, reject.origClOrdId, venueExecId);
  }
  auto recorded = recorder_.recordReject(std::get<bdb::Record<idl::Order>>(found).reader(),
                                         {.venueExecId = venueExecId,
                                          .kind = idl::Reject::Kind::CANCEL_REFUSED,
                                          .reason = reject.text,
                                          .cancelRequestId = reject.clOrdId});
  if (auto* error = std::get_if<RecordError>(&recorded)) {
    return failed(*error, reject.session, reject.origClOrdId, venueExecId);
  }
  announce(std::get<0>(recorded));
  return HandlerOutcome::kDone;
}

void ReportRecorder::onMarketData(const exchange::MarketDataMessage& update) {
  if (bus_ != nullptr) bus_->relay(update.session, update);
}

void ReportRecorder::onLogon(const std::string& venue) {
  logger_.info("fix-logon", {{"venue", venue}});
}

void ReportRecorder::onLogout(const std::string& venue) {
  logger_.info("fix-logout", {{"venue", venue}});
}

}  // namespace triad::street
