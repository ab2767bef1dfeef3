#include "utilities/street/street_recorder.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/debug.h>

#include <algorithm>
#include <optional>

#include "utilities/common/id_allocator.h"
#include "utilities/common/tables.h"

namespace triad::street {
namespace {

constexpr size_t kMaxVenueExecId = 128;
constexpr size_t kMaxVenueSession = 32;
constexpr size_t kMaxId = 64;  // order, cancel request and ClOrdID ids
// A read or write that lost a lock conflict (Status::kConflict: nothing was
// written) is retried this often.
constexpr int kAttempts = 3;

RecordError refused(RecordErrorCode code, std::string reason) {
  return {code, std::move(reason), bdb::Status::ok()};
}

RecordError fromStorage(bdb::Status status, std::string_view what) {
  std::string reason = std::string(what) + ": " + status.toString();
  return {RecordErrorCode::kStorage, std::move(reason), std::move(status)};
}

// Text that can be a key component and a FIX field: printable ASCII.
bool isIdText(std::string_view text, size_t maxSize) {
  if (text.empty() || text.size() > maxSize) return false;
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// Owned copies of a record just built, or read from a scan.
template <typename T>
bdb::Record<T> ownedCopy(capnp::MessageBuilder& message) {
  return bdb::Record<T>::copyOf(message);
}

template <typename T>
bdb::Record<T> ownedCopy(typename T::Reader reader) {
  return bdb::Record<T>::copyOf(reader);
}

template <typename T>
bdb::Record<T> ownedCopy(bdb::Record<T>& record) {
  bdb::Record<T> copy;
  bdb::Status s = bdb::Value::fromBytes(record.value().bytes(), &copy.value());
  KJ_ASSERT(s.isOk(), "a stored record must decode", s.toString());
  return copy;
}

// Every write here is idempotent, so a write that lost a lock conflict, and
// so wrote nothing, is simply run again.
bdb::Status writeWithRetries(bdb::OwnershipGroup& group, const bdb::WriteFn& fn) {
  bdb::Status s;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    s = group.write(fn);
    if (s.code() != bdb::Status::Code::kConflict) break;
  }
  return s;
}

// The id of the report of another kind already recorded under `key` (in
// executions, rejects or closures other than `table`), if there is one.
// `Source` is a WriteTxn or an OwnershipGroup: both read tables the same way.
template <typename T, typename Source>
bdb::Status otherKindAt(Source& source, const bdb::Table<T>& table, const bdb::Key& key,
                        std::optional<std::string>* otherId) {
  otherId->reset();
  const auto look = [&]<typename Other>(const bdb::Table<Other>& other) {
    if (other.name() == table.name()) return bdb::Status::ok();
    bdb::Record<Other> found;
    bdb::Status s = other.get(source, key, &found);
    if (s.isOk()) *otherId = found->getId().cStr();
    return s.isNotFound() ? bdb::Status::ok() : s;
  };
  bdb::Status s = look(tables::kExecutions);
  if (s.isOk()) s = look(tables::kRejects);
  if (s.isOk()) s = look(tables::kClosures);
  return s;
}

// The report recorded under `key` the first time, if any: a resend
// (duplicate), or a refusal when the venue reused the ExecID for another
// kind of report of the order. The key holds the report's whole dedup
// identity, so this is point reads only.
template <typename T, typename Source>
std::optional<Outcome<Recorded<T>>> recordedAt(Source& source, const bdb::Table<T>& table,
                                               const bdb::Key& key, std::string_view orderId,
                                               std::string_view venueExecId) {
  Recorded<T> first{{}, true};
  bdb::Status s = table.get(source, key, &first.record);
  if (s.isOk()) return Outcome<Recorded<T>>(std::move(first));
  if (!s.isNotFound()) {
    return Outcome<Recorded<T>>(
        fromStorage(std::move(s), "reading the reports of " + std::string(orderId)));
  }
  std::optional<std::string> otherId;
  s = otherKindAt(source, table, key, &otherId);
  if (!s.isOk()) {
    return Outcome<Recorded<T>>(
        fromStorage(std::move(s), "reading the reports of " + std::string(orderId)));
  }
  if (!otherId) return std::nullopt;
  return Outcome<Recorded<T>>(
      refused(RecordErrorCode::kInvalidReport,
              "venue exec id '" + std::string(venueExecId) + "' of order " + std::string(orderId) +
                  " was already recorded as another kind of report (" + *otherId + ")"));
}

}  // namespace

std::string_view errorCodeName(RecordErrorCode code) {
  switch (code) {
    case RecordErrorCode::kInvalidReport:
      return "invalidReport";
    case RecordErrorCode::kWrongStreet:
      return "wrongStreet";
    case RecordErrorCode::kUnknownOrder:
      return "unknownOrder";
    case RecordErrorCode::kOverfill:
      return "overfill";
    case RecordErrorCode::kConflictingReport:
      return "conflictingReport";
    case RecordErrorCode::kStorage:
      return "storage";
  }
  return "unknown";
}

std::string RecordError::toString() const {
  return std::string(errorCodeName(code)) + ": " + reason;
}

StreetRecorder::StreetRecorder(const topology::Topology& topology, common::SiteStorage& storage,
                               Clock clock)
    : topology_(topology), storage_(storage), clock_(std::move(clock)), self_(storage.site().id) {
  KJ_REQUIRE(storage_.site().role == topology::Role::kStreet, "not a street utility", self_);
  for (const topology::Utility& utility : topology_.utilities()) {
    if (utility.role != topology::Role::kCustomer) continue;
    if (bdb::OwnershipGroup* group = storage_.group(utility.id)) {
      customers_.push_back({utility.id, group});
    }
  }
  pendingOrders_.resize(customers_.size());
}

std::mutex& StreetRecorder::orderLock(std::string_view orderId) {
  return orderLocks_[std::hash<std::string_view>{}(orderId) % orderLocks_.size()];
}

const StreetRecorder::CustomerGroup* StreetRecorder::customerGroupOf(
    std::string_view recordId) const {
  const std::string_view owner = common::ownerOf(recordId);
  for (const CustomerGroup& customer : customers_) {
    if (customer.id == owner) return &customer;
  }
  return nullptr;
}

Outcome<bdb::Record<idl::Order>> StreetRecorder::findOrder(std::string_view orderId) {
  const std::string notFound =
      "no order " + std::string(orderId) + " in the customer replicas at " + self_ + " (yet)";
  const CustomerGroup* owner = customerGroupOf(orderId);
  if (owner == nullptr || !isIdText(orderId, kMaxId)) {
    return refused(RecordErrorCode::kUnknownOrder, notFound);
  }
  bdb::Record<idl::Order> order;
  bdb::Status s = tables::kOrders.get(*owner->group, bdb::Key::of(orderId), &order);
  if (s.isNotFound()) return refused(RecordErrorCode::kUnknownOrder, notFound);
  if (!s.isOk()) return fromStorage(std::move(s), "reading order " + std::string(orderId));
  return order;
}

Outcome<bool> StreetRecorder::isReleased(std::string_view orderId) {
  const CustomerGroup* owner = customerGroupOf(orderId);
  const std::optional<uint64_t> sequence = common::sequenceOf(orderId);
  if (owner == nullptr || !sequence) {
    return refused(RecordErrorCode::kUnknownOrder,
                   "no customer utility here owns order " + std::string(orderId));
  }
  uint64_t mark = 0;
  bdb::Status s = common::releasedThrough(*owner->group, &mark);
  if (!s.isOk()) return fromStorage(std::move(s), "reading the release mark of " + owner->id);
  return *sequence <= mark;
}

Outcome<bool> StreetRecorder::hasCancel(std::string_view orderId, std::string_view cancelId) {
  const CustomerGroup* owner = customerGroupOf(cancelId);
  if (owner == nullptr) return false;
  bdb::Record<idl::CancelRequest> request;
  bdb::Status s =
      tables::kCancels.get(*owner->group, bdb::Key::of(orderId).add(cancelId), &request);
  if (s.isNotFound()) return false;
  if (!s.isOk()) return fromStorage(std::move(s), "reading cancel " + std::string(cancelId));
  return true;
}

Outcome<std::optional<std::string>> StreetRecorder::firstCancel(std::string_view orderId) {
  std::optional<std::string> first;
  for (const CustomerGroup& customer : customers_) {
    bdb::Status s = bdb::retryOnConflict([&] {
      return tables::kCancels.scanPrefix(*customer.group, bdb::Key::of(orderId),
                                         [&](idl::CancelRequest::Reader request) {
                                           first = request.getId().cStr();
                                           return false;
                                         });
    });
    if (!s.isOk()) {
      return fromStorage(std::move(s), "reading the cancels of " + std::string(orderId));
    }
    if (first) break;
  }
  return first;
}

std::optional<RecordError> StreetRecorder::checkOrder(idl::Order::Reader order) const {
  const std::string_view id = order.getId().cStr();
  if (!isIdText(id, kMaxId) || id.size() != order.getId().size()) {
    return refused(RecordErrorCode::kInvalidReport,
                   "an order id must be 1 to 64 printable characters");
  }
  const std::string_view street = order.getStreet().cStr();
  if (street != self_) {
    return refused(RecordErrorCode::kWrongStreet, "order " + std::string(id) + " is routed to '" +
                                                      std::string(street) + "', not to " + self_);
  }
  const std::string_view venue = order.getVenue().cStr();
  if (!isIdText(venue, kMaxId) || venue.size() != order.getVenue().size()) {
    return refused(RecordErrorCode::kInvalidReport,
                   "order " + std::string(id) + " names no venue to route to");
  }
  return std::nullopt;
}

Outcome<int64_t> StreetRecorder::filledQuantity(std::string_view orderId) {
  int64_t filled = 0;
  bdb::Status s = bdb::retryOnConflict([&] {
    filled = 0;
    return tables::kExecutions.scanPrefix(storage_.owned(), bdb::Key::of(orderId),
                                          [&](idl::Execution::Reader execution) {
                                            filled += execution.getQuantity();
                                            return true;
                                          });
  });
  if (!s.isOk()) return fromStorage(std::move(s), "reading the fills of " + std::string(orderId));
  return filled;
}

Outcome<Recorded<idl::Route>> StreetRecorder::recordRoute(idl::Order::Reader order,
                                                          std::string_view fixClOrdId) {
  if (auto refusal = checkOrder(order)) return *refusal;
  if (!isIdText(fixClOrdId, kMaxId)) {
    return refused(RecordErrorCode::kInvalidReport,
                   "a FIX ClOrdID must be 1 to 64 printable characters");
  }
  const bdb::Key key = bdb::Key::of(order.getId().cStr());
  Recorded<idl::Route> existing{{}, true};
  bdb::Status s = tables::kRoutes.get(storage_.owned(), key, &existing.record);
  if (s.isOk()) return existing;  // no write for a repeat
  if (!s.isNotFound()) return fromStorage(std::move(s), "reading the route");

  capnp::MallocMessageBuilder message;
  auto route = message.initRoot<idl::Route>();
  route.setOrderId(order.getId());
  route.setStreet(self_);
  route.setVenue(order.getVenue());
  route.setFixClOrdId(std::string(fixClOrdId));
  route.setRoutedAtNanos(clock_());
  bool repeat = false;
  s = writeWithRetries(storage_.owned(), [&](bdb::WriteTxn& txn) {
    // Checked again in the transaction: two callers racing are serialised by
    // the group's single writer.
    bdb::Status found = tables::kRoutes.get(txn, key, &existing.record);
    repeat = found.isOk();
    if (repeat || !found.isNotFound()) return found;
    return tables::kRoutes.put(txn, key, message);
  });
  if (!s.isOk()) return fromStorage(std::move(s), "recording the route");
  if (repeat) return existing;
  return Recorded<idl::Route>{ownedCopy<idl::Route>(message), false};
}

template <typename T, typename Build>
Outcome<Recorded<T>> StreetRecorder::recordReport(idl::Order::Reader order,
                                                  const VenueReportId& report,
                                                  const bdb::Table<T>& table, Build&& build) {
  if (auto refusal = checkOrder(order)) return *refusal;
  if (!isIdText(report.venueExecId, kMaxVenueExecId)) {
    return refused(RecordErrorCode::kInvalidReport,
                   "a venue exec id must be 1 to 128 printable characters");
  }
  if (!report.venueSession.empty() && !isIdText(report.venueSession, kMaxVenueSession)) {
    return refused(RecordErrorCode::kInvalidReport,
                   "a venue session must be at most 32 printable characters");
  }
  const std::string orderId = order.getId();
  const std::string venue = order.getVenue();
  const bdb::Key key = tables::reportKey(orderId, venue, report.venueSession, report.venueExecId);
  std::lock_guard lock(orderLock(orderId));

  // A resend needs no write at all.
  if (auto first = recordedAt(storage_.owned(), table, key, orderId, report.venueExecId)) {
    return std::move(*first);
  }

  // Reports of one order are serialised by the lock, so the fills read here
  // are all there are when the write below runs.
  Outcome<int64_t> filled = filledQuantity(orderId);
  if (auto* failed = std::get_if<RecordError>(&filled)) return std::move(*failed);

  capnp::MallocMessageBuilder message;
  auto record = message.initRoot<T>();
  record.setOrderId(orderId);
  record.setVenue(venue);
  record.setVenueSession(std::string(report.venueSession));
  record.setVenueExecId(std::string(report.venueExecId));
  if (auto refusal = build(record, std::get<int64_t>(filled))) return *refusal;

  std::optional<Outcome<Recorded<T>>> repeat;
  bdb::Status s = writeWithRetries(storage_.owned(), [&](bdb::WriteTxn& txn) {
    repeat = recordedAt(txn, table, key, orderId, report.venueExecId);
    if (repeat) {
      // A read that failed fails the transaction (a lost lock conflict is
      // then run again); a record found is the answer, and nothing is written.
      auto* failed = std::get_if<RecordError>(&*repeat);
      if (failed == nullptr || failed->code != RecordErrorCode::kStorage) return bdb::Status::ok();
      bdb::Status status = std::move(failed->storage);
      repeat.reset();
      return status;
    }
    std::string id;
    if (bdb::Status allocated = common::allocateId(txn, self_, &id); !allocated.isOk()) {
      return allocated;
    }
    message.getRoot<T>().setId(id);
    return table.put(txn, key, message);
  });
  if (!s.isOk()) return fromStorage(std::move(s), "recording the report of " + orderId);
  if (repeat) return std::move(*repeat);
  return Recorded<T>{ownedCopy<T>(message), false};
}

Outcome<Recorded<idl::Execution>> StreetRecorder::recordFill(idl::Order::Reader order,
                                                             const FillReport& fill) {
  const std::string orderId = order.getId();
  if (fill.quantity <= 0) {
    return refused(RecordErrorCode::kInvalidReport,
                   "a fill's quantity must be above zero, not " + std::to_string(fill.quantity));
  }
  if (fill.priceMicros <= 0) {
    return refused(RecordErrorCode::kInvalidReport,
                   "a fill's price must be above zero, not " + std::to_string(fill.priceMicros));
  }
  const int64_t at = fill.executedAtNanos != 0 ? fill.executedAtNanos : clock_();
  auto recorded = recordReport(
      order, {fill.venueExecId, fill.venueSession}, tables::kExecutions,
      [&](idl::Execution::Builder execution, int64_t filled) -> std::optional<RecordError> {
        const int64_t ordered = order.getQuantity();
        if (fill.quantity > ordered - filled) {
          return refused(RecordErrorCode::kOverfill,
                         "a fill of " + std::to_string(fill.quantity) + " for order " + orderId +
                             " (venue exec id '" + fill.venueExecId + "') would make " +
                             std::to_string(filled + fill.quantity) + " filled of " +
                             std::to_string(ordered) + " ordered; it was not recorded");
        }
        // Everything the firm needs to book it, from the street record alone.
        execution.setAccount(order.getAccount());
        execution.setSymbol(order.getSymbol());
        execution.setSide(order.getSide());
        execution.setCurrency(order.getCurrency());
        execution.setQuantity(fill.quantity);
        execution.setPriceMicros(fill.priceMicros);
        execution.setCumulativeQuantity(filled + fill.quantity);
        execution.setLeavesQuantity(ordered - filled - fill.quantity);
        execution.setExecutedAtNanos(at);
        return std::nullopt;
      });
  // A resend repeats the report; the same identity with other terms is a
  // venue reusing an ExecID, and which of the two is right is for a person.
  if (auto* first = std::get_if<Recorded<idl::Execution>>(&recorded); first && first->duplicate) {
    idl::Execution::Reader was = first->record.reader();
    if (was.getQuantity() != fill.quantity || was.getPriceMicros() != fill.priceMicros) {
      return refused(RecordErrorCode::kConflictingReport,
                     "venue exec id '" + fill.venueExecId + "' of order " + orderId +
                         " was recorded as a fill of " + std::to_string(was.getQuantity()) +
                         " at " + std::to_string(was.getPriceMicros()) +
                         " micros; this report says " + std::to_string(fill.quantity) + " at " +
                         std::to_string(fill.priceMicros));
    }
  }
  return recorded;
}

Outcome<Recorded<idl::Reject>> StreetRecorder::recordReject(idl::Order::Reader order,
                                                            const RejectReport& reject) {
  const bool cancelRefused = reject.kind == idl::Reject::Kind::CANCEL_REFUSED;
  if (!cancelRefused && reject.kind != idl::Reject::Kind::ORDER_REJECTED) {
    return refused(RecordErrorCode::kInvalidReport,
                   "a reject is an order rejection or a cancel refusal");
  }
  if (cancelRefused && !isIdText(reject.cancelRequestId, kMaxId)) {
    return refused(RecordErrorCode::kInvalidReport,
                   "a cancel refusal names the cancel request it refuses");
  }
  if (!cancelRefused && !reject.cancelRequestId.empty()) {
    return refused(RecordErrorCode::kInvalidReport, "an order rejection names no cancel request");
  }
  const int64_t at = reject.atNanos != 0 ? reject.atNanos : clock_();
  return recordReport(order, {reject.venueExecId, reject.venueSession}, tables::kRejects,
                      [&](idl::Reject::Builder record, int64_t) -> std::optional<RecordError> {
                        record.setKind(reject.kind);
                        record.setReason(reject.reason);
                        record.setCancelRequestId(reject.cancelRequestId);
                        record.setAtNanos(at);
                        return std::nullopt;
                      });
}

Outcome<Recorded<idl::Closure>> StreetRecorder::recordClosure(idl::Order::Reader order,
                                                              const ClosureReport& closure) {
  const bool expired = closure.reason == idl::Closure::Reason::EXPIRED;
  if (!expired && closure.reason != idl::Closure::Reason::CANCELLED) {
    return refused(RecordErrorCode::kInvalidReport, "a closure is a cancel or an expiry");
  }
  if (expired && !closure.cancelRequestId.empty()) {
    return refused(RecordErrorCode::kInvalidReport, "an expiry answers no cancel request");
  }
  if (!closure.cancelRequestId.empty() && !isIdText(closure.cancelRequestId, kMaxId)) {
    return refused(RecordErrorCode::kInvalidReport,
                   "a cancel request id must be 1 to 64 printable characters");
  }
  const int64_t at = closure.atNanos != 0 ? closure.atNanos : clock_();
  return recordReport(
      order, {closure.venueExecId, closure.venueSession}, tables::kClosures,
      [&](idl::Closure::Builder record, int64_t filled) -> std::optional<RecordError> {
        record.setReason(closure.reason);
        record.setLeavesQuantity(std::max<int64_t>(0, order.getQuantity() - filled));
        record.setCancelRequestId(closure.cancelRequestId);
        record.setAtNanos(at);
        return std::nullopt;
      });
}

// ---- Catch-up ----

// Whether this group holds an order rejection or a closure for the order.
// Runs inside a read retried on lock conflicts.
bdb::Status StreetRecorder::readClosed(const bdb::Key& key, bool* closed) {
  *closed = false;
  bdb::Status read =
      tables::kRejects.scanPrefix(storage_.owned(), key, [&](idl::Reject::Reader reject) {
        *closed = reject.getKind() == idl::Reject::Kind::ORDER_REJECTED;
        return !*closed;
      });
  if (!read.isOk() || *closed) return read;
  return tables::kClosures.scanPrefix(storage_.owned(), key, [&](idl::Closure::Reader) {
    *closed = true;
    return false;
  });
}

Outcome<bool> StreetRecorder::isAnswered(std::string_view orderId) {
  const bdb::Key key = bdb::Key::of(orderId);
  bool answered = false;
  bdb::Status s = bdb::retryOnConflict([&] {
    bdb::Record<idl::Route> route;
    bdb::Status read = tables::kRoutes.get(storage_.owned(), key, &route);
    answered = read.isOk();
    if (answered || !read.isNotFound()) return answered ? bdb::Status::ok() : read;
    return readClosed(key, &answered);
  });
  if (!s.isOk()) return fromStorage(std::move(s), "reading the answers to " + std::string(orderId));
  return answered;
}

Outcome<bool> StreetRecorder::isFinished(std::string_view orderId, int64_t quantity) {
  const bdb::Key key = bdb::Key::of(orderId);
  bool finished = false;
  bdb::Status s = bdb::retryOnConflict([&] { return readClosed(key, &finished); });
  if (!s.isOk()) return fromStorage(std::move(s), "reading the answers to " + std::string(orderId));
  if (finished) return true;
  Outcome<int64_t> filled = filledQuantity(orderId);
  if (auto* failed = std::get_if<RecordError>(&filled)) return std::move(*failed);
  return std::get<int64_t>(filled) >= quantity;
}

Outcome<std::vector<UnfinishedRoute>> StreetRecorder::unfinishedRoutes() {
  std::vector<std::pair<std::string, bool>> routed;  // order id, acknowledged
  bdb::Status s = bdb::retryOnConflict([&] {
    routed.clear();
    return tables::kRoutes.scan(
        storage_.owned(), "", [&](std::string_view, idl::Route::Reader route) {
          routed.emplace_back(route.getOrderId().cStr(), route.getAcknowledgedAtNanos() != 0);
          return true;
        });
  });
  if (!s.isOk()) return fromStorage(std::move(s), "scanning the routes");
  // A hashed table is visited in no particular order.
  std::sort(routed.begin(), routed.end());
  std::vector<UnfinishedRoute> unfinished;
  for (const auto& [orderId, acknowledged] : routed) {
    Outcome<bdb::Record<idl::Order>> order = findOrder(orderId);
    if (auto* failed = std::get_if<RecordError>(&order)) return std::move(*failed);
    const int64_t quantity = std::get<bdb::Record<idl::Order>>(order)->getQuantity();
    Outcome<bool> finished = isFinished(orderId, quantity);
    if (auto* failed = std::get_if<RecordError>(&finished)) return std::move(*failed);
    if (std::get<bool>(finished)) continue;
    bool confirmed = acknowledged;
    if (!confirmed) {
      // A fill says the venue has it as surely as an acknowledgement.
      Outcome<int64_t> filled = filledQuantity(orderId);
      if (auto* failed = std::get_if<RecordError>(&filled)) return std::move(*failed);
      confirmed = std::get<int64_t>(filled) > 0;
    }
    unfinished.push_back({std::move(std::get<bdb::Record<idl::Order>>(order)), confirmed});
  }
  return unfinished;
}

Outcome<bool> StreetRecorder::recordAcknowledgement(std::string_view orderId,
                                                    std::string_view venueOrderId,
                                                    int64_t atNanos) {
  if (!isIdText(venueOrderId, kMaxVenueExecId)) {
    return refused(RecordErrorCode::kInvalidReport,
                   "a venue order id must be 1 to 128 printable characters");
  }
  const bdb::Key key = bdb::Key::of(orderId);
  bool written = false;
  bool unknown = false;
  bdb::Status s = writeWithRetries(storage_.owned(), [&](bdb::WriteTxn& txn) {
    written = false;
    unknown = false;
    bdb::Record<idl::Route> route;
    bdb::Status found = tables::kRoutes.get(txn, key, &route);
    if (found.isNotFound()) {
      unknown = true;
      return bdb::Status::ok();
    }
    if (!found.isOk() || route->getAcknowledgedAtNanos() != 0) return found;
    capnp::MallocMessageBuilder message;
    message.setRoot(route.reader());
    auto updated = message.getRoot<idl::Route>();
    updated.setVenueOrderId(std::string(venueOrderId));
    updated.setAcknowledgedAtNanos(atNanos != 0 ? atNanos : clock_());
    written = true;
    return tables::kRoutes.put(txn, key, message);
  });
  if (!s.isOk()) {
    return fromStorage(std::move(s), "recording the acknowledgement of " + std::string(orderId));
  }
  if (unknown) {
    return refused(RecordErrorCode::kUnknownOrder,
                   "no route of order " + std::string(orderId) + " is recorded here");
  }
  return written;
}

Outcome<bool> StreetRecorder::recordRefused(const RefusedReportEntry& entry) {
  const std::string session = entry.venueSession;
  // The key's parts must be key text; a malformed ExecID is kept under a
  // stand-in (the message itself is kept whole).
  const std::string execId =
      isIdText(entry.venueExecId, kMaxVenueExecId) ? entry.venueExecId : "(malformed)";
  const std::string clOrdId = isIdText(entry.clOrdId, kMaxId) ? entry.clOrdId : "(malformed)";
  const bdb::Key key = tables::refusedReportKey(entry.venue, session, execId, clOrdId);
  capnp::MallocMessageBuilder message;
  auto record = message.initRoot<idl::RefusedReport>();
  record.setVenue(entry.venue);
  record.setVenueSession(session);
  record.setVenueExecId(entry.venueExecId);
  record.setClOrdId(entry.clOrdId);
  record.setOrderId(entry.orderId);
  record.setReason(entry.reason);
  record.setDetail(entry.detail);
  record.setQuantity(entry.quantity);
  record.setPriceMicros(entry.priceMicros);
  record.setReceivedAtNanos(entry.receivedAtNanos != 0 ? entry.receivedAtNanos : clock_());
  record.setMessage(entry.message);
  bool written = false;
  bdb::Status s = writeWithRetries(storage_.owned(), [&](bdb::WriteTxn& txn) {
    bdb::Record<idl::RefusedReport> existing;
    bdb::Status found = tables::kRefusedReports.get(txn, key, &existing);
    written = found.isNotFound();
    if (!written) return found;
    std::string id;
    if (bdb::Status allocated = common::allocateId(txn, self_, &id); !allocated.isOk()) {
      return allocated;
    }
    message.getRoot<idl::RefusedReport>().setId(id);
    return tables::kRefusedReports.put(txn, key, message);
  });
  if (!s.isOk()) return fromStorage(std::move(s), "keeping a refused report");
  return written;
}

Outcome<std::vector<bdb::Record<idl::RefusedReport>>> StreetRecorder::refusedReports() {
  std::vector<bdb::Record<idl::RefusedReport>> reports;
  bdb::Status s = bdb::retryOnConflict([&] {
    reports.clear();
    return tables::kRefusedReports.scan(storage_.owned(), "",
                                        [&](std::string_view, idl::RefusedReport::Reader report) {
                                          reports.push_back(ownedCopy<idl::RefusedReport>(report));
                                          return true;
                                        });
  });
  if (!s.isOk()) return fromStorage(std::move(s), "scanning the refused reports");
  std::sort(reports.begin(), reports.end(), [](const auto& a, const auto& b) {
    return a->getReceivedAtNanos() < b->getReceivedAtNanos();
  });
  return reports;
}

Outcome<bool> StreetRecorder::isCancelAnswered(std::string_view orderId,
                                               std::string_view cancelId) {
  const bdb::Key key = bdb::Key::of(orderId);
  bool answered = false;
  bdb::Status s = bdb::retryOnConflict([&] {
    answered = false;
    bdb::Status read =
        tables::kClosures.scanPrefix(storage_.owned(), key, [&](idl::Closure::Reader closure) {
          answered = std::string_view(closure.getCancelRequestId().cStr()) == cancelId;
          return !answered;
        });
    if (!read.isOk() || answered) return read;
    return tables::kRejects.scanPrefix(storage_.owned(), key, [&](idl::Reject::Reader reject) {
      answered = reject.getKind() == idl::Reject::Kind::CANCEL_REFUSED &&
                 std::string_view(reject.getCancelRequestId().cStr()) == cancelId;
      return !answered;
    });
  });
  if (!s.isOk())
    return fromStorage(std::move(s), "reading the answers to " + std::string(cancelId));
  return answered;
}

Outcome<std::vector<bdb::Record<idl::Order>>> StreetRecorder::unroutedOrders(bool force) {
  std::lock_guard lock(scanMutex_);
  for (size_t i = 0; i < customers_.size(); ++i) {
    const CustomerGroup& customer = customers_[i];
    OrderCursor& cursor = orderCursors_[customer.id];
    // Read before the scan: a commit during the scan moves the group again.
    const uint64_t position = customer.group->commitPosition().sequence;
    if (!force && cursor.scanned && position == cursor.position) {
      ++stats_.orders.skipped;
      continue;
    }
    // Order ids grow within a group and key its orders, so new orders are
    // always after the last key read.
    const std::string from = force ? std::string() : cursor.lastKey;
    std::string lastKey = from;
    std::map<std::string, bdb::Record<idl::Order>> found;
    bdb::Status s = bdb::retryOnConflict([&] {
      found.clear();
      lastKey = from;
      return tables::kOrders.scan(*customer.group, from,
                                  [&](std::string_view key, idl::Order::Reader order) {
                                    if (key == from) return true;  // read last time
                                    lastKey = key;
                                    if (std::string_view(order.getStreet().cStr()) == self_) {
                                      found.emplace(key, ownedCopy<idl::Order>(order));
                                    }
                                    return true;
                                  });
    });
    if (!s.isOk()) return fromStorage(std::move(s), "scanning the orders of " + customer.id);
    pendingOrders_[i].merge(found);
    cursor = {true, position, std::move(lastKey)};
    ++stats_.orders.scanned;
  }

  std::vector<bdb::Record<idl::Order>> unrouted;
  for (auto& pending : pendingOrders_) {
    for (auto it = pending.begin(); it != pending.end();) {
      Outcome<bool> answered = isAnswered(it->second->getId().cStr());
      if (auto* failed = std::get_if<RecordError>(&answered)) return std::move(*failed);
      if (std::get<bool>(answered)) {
        it = pending.erase(it);
      } else {
        unrouted.push_back(ownedCopy(it->second));
        ++it;
      }
    }
  }
  return unrouted;
}

Outcome<std::vector<bdb::Record<idl::CancelRequest>>> StreetRecorder::unansweredCancels(
    bool force) {
  std::lock_guard lock(scanMutex_);
  for (const CustomerGroup& customer : customers_) {
    const uint64_t position = customer.group->commitPosition().sequence;
    auto known = cancelPositions_.find(customer.id);
    if (!force && known != cancelPositions_.end() && known->second == position) {
      ++stats_.cancels.skipped;
      continue;
    }
    // Cancels are keyed by order id first, so new ones can be anywhere: the
    // whole table is read, and only those not seen before are kept.
    std::map<std::string, bdb::Record<idl::CancelRequest>> found;
    bdb::Status s = bdb::retryOnConflict([&] {
      found.clear();
      return tables::kCancels.scan(
          *customer.group, "", [&](std::string_view key, idl::CancelRequest::Reader cancel) {
            const std::string k(key);
            if (std::string_view(cancel.getStreet().cStr()) == self_ &&
                !answeredCancels_.contains(k) && !pendingCancels_.contains(k)) {
              found.emplace(k, ownedCopy<idl::CancelRequest>(cancel));
            }
            return true;
          });
    });
    if (!s.isOk()) return fromStorage(std::move(s), "scanning the cancels of " + customer.id);
    pendingCancels_.merge(found);
    cancelPositions_[customer.id] = position;
    ++stats_.cancels.scanned;
  }

  std::vector<bdb::Record<idl::CancelRequest>> unanswered;
  for (auto it = pendingCancels_.begin(); it != pendingCancels_.end();) {
    Outcome<bool> answered =
        isCancelAnswered(it->second->getOrderId().cStr(), it->second->getId().cStr());
    if (auto* failed = std::get_if<RecordError>(&answered)) return std::move(*failed);
    if (std::get<bool>(answered)) {
      answeredCancels_.insert(it->first);
      it = pendingCancels_.erase(it);
    } else {
      unanswered.push_back(ownedCopy(it->second));
      ++it;
    }
  }
  return unanswered;
}

CatchUpStats StreetRecorder::catchUpStats() const {
  std::lock_guard lock(scanMutex_);
  return stats_;
}

}  // namespace triad::street
