// What a street utility has asked its venues and not yet heard back about,
// and what its venues said that could not be taken as it was (issue 16,
// docs/operations.md "Venue alarms"). In memory, for one run: the durable
// side of every answer is the street group's records; this is what the
// operator's console (Admin venueAlarms, `triadctl status`) shows of the
// requests still in flight, and the counters since start.
//
//  - sent(): an order (its ClOrdID is the order id) or a cancel request went
//    out on a venue's session. Any answer the venue gives about that ClOrdID
//    (an ExecutionReport, a cancel reject, a session or business reject, a
//    status answer) ends the watch: answered().
//  - takeOverdue(): the requests that have waited longer than their venue's
//    answer-timeout, each once: the caller raises the alarm and, where the
//    venue answers OrderStatusRequest, asks it (statusRequested()). They stay
//    listed as stuck until an answer comes.
//  - acknowledged(): the venue's ExecutionReport "new" for an order. Whether
//    the venue has an order matters only to a later run (the start-up pass
//    re-sends only routes the venue never acknowledged), and most orders are
//    answered again within milliseconds by a fill or a closure, which say as
//    much; so an acknowledgement is only written into the route once it has
//    stood alone for a while: takeAcknowledgementsToRecord().
//  - the start-up pass (order_router.h): a route of an earlier run the venue
//    never confirmed is asked about first (checking()); the venue's answer
//    makes it known (nothing to send) or unknown (send it as new:
//    takeUnknownChecked()); no answer in time, or a venue that cannot be
//    asked, leaves it unconfirmed: listed until an answer or an operator
//    settles it.
//
// Thread-safety: every method may be called from any thread (QuickFIX's
// thread records reports; the daemon's loop runs the passes and Admin).

#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/topology.h"

namespace triad::street {

class VenueWatch {
 public:
  enum class Kind { kOrder, kCancel };

  struct Request {
    Kind kind = Kind::kOrder;
    std::string clOrdId;
    std::string orderId;
    std::string venue;
    int64_t sinceNanos = 0;  // when it was sent (a start-up check: when it was routed)
    bool statusRequested = false;
  };

  struct Acknowledgement {
    std::string orderId;
    std::string venueOrderId;
    int64_t atNanos = 0;
  };

  struct Counters {
    uint64_t venueRejects = 0;       // session (35=3) and business (35=j) rejects
    uint64_t refusedReports = 0;     // reports refused (kept for an operator)
    uint64_t overfills = 0;          // of which over-fills
    uint64_t statusRequests = 0;     // OrderStatusRequests sent
    uint64_t unknownReferences = 0;  // venue rejects naming nothing this street sent
  };

  struct Snapshot {
    std::vector<Request> stuck;        // overdue, oldest first
    std::vector<Request> unconfirmed;  // routes of an earlier run not re-sent
    Counters counters;
  };

  // The venues' answer timeouts come from the topology, which must outlive
  // this.
  explicit VenueWatch(const topology::Topology& topology) : topology_(topology) {}

  void sent(Kind kind, std::string clOrdId, std::string orderId, std::string venue,
            int64_t nowNanos);
  // The venue said something about the order or cancel request `clOrdId`.
  void answered(std::string_view clOrdId);
  std::vector<Request> takeOverdue(int64_t nowNanos);
  void statusRequested(std::string_view clOrdId);

  void acknowledged(Acknowledgement acknowledgement);
  // The order was answered otherwise (a fill, a rejection, a closure): its
  // acknowledgement need not be written.
  void superseded(std::string_view orderId);
  // Acknowledgements that have stood alone for `settleNanos`.
  std::vector<Acknowledgement> takeAcknowledgementsToRecord(int64_t nowNanos, int64_t settleNanos);

  // Start-up: the venue is being asked whether it has the order.
  void checking(Request request);
  // The venue answered a start-up check: true when it knew the order.
  // nullopt when `clOrdId` was not being checked.
  std::optional<bool> checked(std::string_view clOrdId, bool known);
  // Checked orders the venue does not know: to be sent as new.
  std::vector<std::string> takeUnknownChecked();
  // A route of an earlier run that will not be sent again: listed until the
  // venue answers about it.
  void unconfirmed(Request request);

  void countVenueReject() { bump(&Counters::venueRejects); }
  void countRefusedReport(bool overfill);
  void countStatusRequest() { bump(&Counters::statusRequests); }
  void countUnknownReference() { bump(&Counters::unknownReferences); }

  Snapshot snapshot() const;

 private:
  void bump(uint64_t Counters::*counter);
  int64_t timeoutNanos(const std::string& venue) const;

  const topology::Topology& topology_;
  mutable std::mutex mutex_;                                 // guards everything below
  std::map<std::string, Request, std::less<>> outstanding_;  // by ClOrdID
  std::map<std::string, Request, std::less<>> stuck_;        // by ClOrdID; also in outstanding_
  std::map<std::string, Acknowledgement, std::less<>> acknowledgements_;  // by order id
  std::map<std::string, Request, std::less<>> checking_;                  // by ClOrdID
  std::vector<std::string> unknownChecked_;
  std::map<std::string, Request, std::less<>> unconfirmed_;  // by ClOrdID
  Counters counters_;
};

}  // namespace triad::street
