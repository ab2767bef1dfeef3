#include "utilities/customer/order_desk.h"

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <algorithm>
#include <deque>

#include "utilities/common/echo.h"
#include "utilities/common/id_allocator.h"
#include "utilities/common/tables.h"

namespace triad::customer {
namespace {

using idl::ErrorCode;

constexpr int64_t kMaxQuantity = 1'000'000'000;
constexpr int64_t kMaxPriceMicros = 1'000'000'000'000'000;  // 1e9 currency units
constexpr size_t kMaxClientOrderId = 64;
constexpr size_t kMaxSymbol = 16;

OrderError error(ErrorCode code, std::string reason) { return {code, std::move(reason)}; }

OrderError fromStorage(const bdb::Status& status) {
  switch (status.code()) {
    case bdb::Status::Code::kNotReplicated:
      return error(ErrorCode::NOT_REPLICATED,
                   "the order could not be made durable on a second site; it was not accepted (" +
                       status.message() + ")");
    case bdb::Status::Code::kReplicaInitialising:
    case bdb::Status::Code::kUnavailable:
    case bdb::Status::Code::kConflict:
      return error(ErrorCode::UNAVAILABLE, status.message() + "; retry shortly");
    case bdb::Status::Code::kDiskFull:
      return error(
          ErrorCode::UNAVAILABLE,
          "this utility's disk is full; the order was not accepted (" + status.message() + ")");
    default:
      return error(ErrorCode::INTERNAL, status.toString());
  }
}

bool isSymbol(std::string_view symbol) {
  if (symbol.empty() || symbol.size() > kMaxSymbol) return false;
  for (char c : symbol) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '/';
    if (!ok) return false;
  }
  return true;
}

std::string_view textOf(capnp::Text::Reader text) { return {text.begin(), text.size()}; }

// A retry repeats the order it retries; the same client order id with other
// terms is another order, and is refused.
bool sameTerms(idl::Order::Reader order, idl::OrderRequest::Reader request) {
  return textOf(order.getSymbol()) == textOf(request.getSymbol()) &&
         order.getSide() == request.getSide() && order.getType() == request.getType() &&
         order.getTimeInForce() == request.getTimeInForce() &&
         order.getQuantity() == request.getQuantity() &&
         order.getLimitPriceMicros() == request.getLimitPriceMicros();
}

OrderError reusedClientOrderId(idl::Order::Reader original) {
  return error(ErrorCode::DUPLICATE, "client order id " + std::string(original.getClientOrderId()) +
                                         " was already used for order " +
                                         std::string(original.getId()) + " with other terms");
}

bool isPrintable(std::string_view text) {
  for (char c : text) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

bool isDone(idl::OrderState state) {
  return state == idl::OrderState::FILLED || state == idl::OrderState::CANCELLED ||
         state == idl::OrderState::REJECTED || state == idl::OrderState::EXPIRED;
}

OrderDesk::OrderDesk(const topology::Topology& topology, common::SiteStorage& storage, Clock clock,
                     PreTradeCheck preTradeCheck)
    : topology_(topology),
      storage_(storage),
      clock_(std::move(clock)),
      preTradeCheck_(std::move(preTradeCheck)) {}

std::optional<OrderError> OrderDesk::validate(idl::OrderRequest::Reader request) const {
  // Whole texts, embedded NULs included: cStr() would stop at the first one.
  const std::string_view clientOrderId = textOf(request.getClientOrderId());
  if (clientOrderId.empty() || clientOrderId.size() > kMaxClientOrderId ||
      !isPrintable(clientOrderId)) {
    return error(ErrorCode::INVALID_ARGUMENT,
                 "client order id must be 1 to 64 printable characters without spaces");
  }
  const std::string_view symbol = textOf(request.getSymbol());
  if (!isSymbol(symbol)) {
    return error(ErrorCode::INVALID_ARGUMENT,
                 "symbol must be 1 to 16 characters of A-Z, 0-9, '.', '-' or '/'");
  }
  if (static_cast<uint16_t>(request.getSide()) > static_cast<uint16_t>(idl::Side::SELL)) {
    return error(ErrorCode::INVALID_ARGUMENT, "side must be buy or sell");
  }
  if (static_cast<uint16_t>(request.getType()) > static_cast<uint16_t>(idl::OrderType::LIMIT)) {
    return error(ErrorCode::INVALID_ARGUMENT, "order type must be market or limit");
  }
  if (static_cast<uint16_t>(request.getTimeInForce()) >
      static_cast<uint16_t>(idl::TimeInForce::GTC)) {
    return error(ErrorCode::INVALID_ARGUMENT, "time in force must be day, ioc or gtc");
  }
  const int64_t quantity = request.getQuantity();
  if (quantity <= 0 || quantity > kMaxQuantity) {
    return error(
        ErrorCode::INVALID_ARGUMENT,
        "quantity must be between 1 and 1,000,000,000 shares, not " + std::to_string(quantity));
  }
  const int64_t price = request.getLimitPriceMicros();
  if (request.getType() == idl::OrderType::LIMIT) {
    if (price <= 0 || price > kMaxPriceMicros) {
      return error(ErrorCode::INVALID_ARGUMENT,
                   "a limit order needs a limit price above zero and at most 1,000,000,000.00");
    }
  } else {
    if (price != 0) {
      return error(ErrorCode::INVALID_ARGUMENT, "a market order takes no limit price");
    }
    if (request.getTimeInForce() == idl::TimeInForce::GTC) {
      return error(ErrorCode::INVALID_ARGUMENT,
                   "a market order cannot rest: use time in force day or ioc");
    }
  }
  return std::nullopt;
}

std::optional<OrderError> OrderDesk::checkTradable(std::string_view symbol,
                                                   idl::VenueRoute::Builder route) {
  bdb::OwnershipGroup* firm = nullptr;
  for (const topology::Utility& utility : topology_.utilities()) {
    if (utility.role == topology::Role::kFirm) firm = storage_.group(utility.id);
  }
  if (firm == nullptr) return error(ErrorCode::UNAVAILABLE, "no firm replica at this utility");

  bdb::Record<idl::Halt> halt;
  bdb::Status s = tables::kHalts.get(*firm, bdb::Key::of(symbol), &halt);
  if (s.isOk() && halt->getHalted()) {
    return error(ErrorCode::HALTED, "trading in " + std::string(symbol) +
                                        " is halted: " + std::string(halt->getReason().cStr()));
  }
  if (!s.isOk() && !s.isNotFound()) return fromStorage(s);

  bdb::Record<idl::VenueRoute> found;
  s = tables::kVenueRoutes.get(*firm, bdb::Key::of(symbol), &found);
  if (s.isNotFound()) s = tables::kVenueRoutes.get(*firm, bdb::Key::of("*"), &found);
  if (s.isNotFound()) {
    return error(ErrorCode::UNKNOWN_SYMBOL,
                 "no venue trades " + std::string(symbol) + " in the firm's routing table");
  }
  if (!s.isOk()) return fromStorage(s);
  route.setSymbol(std::string(symbol));
  route.setStreet(found->getStreet());
  route.setVenue(found->getVenue());
  route.setCurrency(found->getCurrency());
  route.setLastPriceMicros(found->getLastPriceMicros());
  return std::nullopt;
}

Outcome<std::optional<bdb::Record<idl::Order>>> OrderDesk::findRetry(
    std::string_view account, std::string_view clientOrderId) {
  const bdb::Key key = bdb::Key().add(account).add(clientOrderId);
  for (const topology::Utility& utility : topology_.utilities()) {
    if (utility.role != topology::Role::kCustomer) continue;
    bdb::OwnershipGroup* group = storage_.group(utility.id);
    if (group == nullptr) continue;
    bdb::Record<idl::OrderRef> ref;
    if (!tables::kClientOrders.get(*group, key, &ref).isOk()) continue;
    // Written with the order in one transaction: the replica holds it too.
    bdb::Record<idl::Order> original;
    bdb::Status s = tables::kOrders.get(*group, bdb::Key::of(ref->getOrderId().cStr()), &original);
    if (!s.isOk()) return fromStorage(s);
    return std::optional(std::move(original));
  }
  return std::optional<bdb::Record<idl::Order>>();
}

Outcome<OrderView> OrderDesk::place(std::string_view account, std::string_view session,
                                    idl::OrderRequest::Reader request) {
  if (auto refused = validate(request)) return *refused;
  const std::string clientOrderId = request.getClientOrderId();
  Outcome<std::optional<bdb::Record<idl::Order>>> found = findRetry(account, clientOrderId);
  if (auto* refused = std::get_if<OrderError>(&found)) return *refused;
  if (auto& original = std::get<std::optional<bdb::Record<idl::Order>>>(found)) {
    if (!sameTerms(original->reader(), request)) return reusedClientOrderId(original->reader());
    return view(std::move(*original));
  }

  capnp::MallocMessageBuilder routeMessage;
  auto route = routeMessage.initRoot<idl::VenueRoute>();
  if (auto refused = checkTradable(request.getSymbol().cStr(), route)) return *refused;

  capnp::MallocMessageBuilder message;
  auto order = message.initRoot<idl::Order>();
  order.setAccount(std::string(account));
  order.setClientOrderId(clientOrderId);
  order.setSymbol(request.getSymbol());
  order.setSide(request.getSide());
  order.setType(request.getType());
  order.setTimeInForce(request.getTimeInForce());
  order.setQuantity(request.getQuantity());
  order.setLimitPriceMicros(request.getLimitPriceMicros());
  order.setCurrency(route.getCurrency());
  order.setStreet(route.getStreet());
  order.setVenue(route.getVenue());
  order.setSession(std::string(session));
  if (preTradeCheck_) {
    if (auto refused = preTradeCheck_(account, order)) return *refused;
  }

  const bdb::Key clientKey = bdb::Key().add(account).add(clientOrderId);
  std::optional<bdb::Record<idl::Order>> retried;
  Undecided undecided(*this);  // until this call returns, withdrawal included
  bdb::Status s = storage_.owned().write([&](bdb::WriteTxn& txn) {
    // Checked again inside the transaction: two retries racing at this
    // utility are serialised by the group's single writer. (This may run
    // more than once: it recomputes everything it sets.)
    retried.reset();
    bdb::Record<idl::OrderRef> ref;
    bdb::Status found = tables::kClientOrders.get(txn, clientKey, &ref);
    if (found.isOk()) {
      bdb::Record<idl::Order> original;
      found = tables::kOrders.get(txn, bdb::Key::of(ref->getOrderId().cStr()), &original);
      if (found.isOk()) retried = std::move(original);
      return found;
    }
    if (!found.isNotFound()) return found;
    std::string id;
    uint64_t sequence = 0;
    if (bdb::Status allocated = undecided.allocate(txn, &id, &sequence); !allocated.isOk()) {
      return allocated;
    }
    order.setId(id);
    order.setPlacedAtNanos(clock_());
    if (bdb::Status put = tables::kOrders.put(txn, bdb::Key::of(id), message); !put.isOk()) {
      return put;
    }
    // The index holds a reference, not a second copy: every record is
    // applied at every site.
    capnp::MallocMessageBuilder refMessage(16);
    refMessage.initRoot<idl::OrderRef>().setOrderId(id);
    return tables::kClientOrders.put(txn, clientKey, refMessage);
  });
  if (s.code() == bdb::Status::Code::kNotReplicated && !retried) {
    rememberOpen(account, order.getId().cStr());  // its reservation holds until it is closed
    return withdraw(account, order.asReader(), s);
  }
  if (!s.isOk()) return fromStorage(s);
  if (retried) {
    if (!sameTerms(retried->reader(), request)) return reusedClientOrderId(retried->reader());
    return view(std::move(*retried));
  }
  rememberOpen(account, order.getId().cStr());
  return view(bdb::Record<idl::Order>::copyOf(message));
}

Outcome<OrderView> OrderDesk::view(bdb::Record<idl::Order> order) {
  const std::string orderId = order->getId();
  const bdb::Key prefix = bdb::Key().add(orderId);

  // Copies of the records found, kept alive while their readers are used.
  std::vector<idl::CancelRequest::Reader> cancels;
  std::deque<capnp::MallocMessageBuilder> copies;
  std::vector<idl::Execution::Reader> executions;
  std::vector<idl::Reject::Reader> rejects;
  std::vector<idl::Closure::Reader> closures;
  std::optional<idl::Route::Reader> route;
  bdb::Record<idl::Route> routeRecord;

  // Everything is read again from the start if a read loses a lock conflict.
  bdb::Status s = bdb::retryOnConflict([&] {
    cancels.clear();
    executions.clear();
    rejects.clear();
    closures.clear();
    route.reset();
    copies.clear();
    for (const topology::Utility& utility : topology_.utilities()) {
      if (utility.role != topology::Role::kCustomer) continue;
      bdb::OwnershipGroup* group = storage_.group(utility.id);
      if (group == nullptr) continue;
      bdb::Status read = tables::kCancels.scanPrefix(*group, prefix, [&](auto record) {
        copies.emplace_back().setRoot(record);
        cancels.push_back(copies.back().getRoot<idl::CancelRequest>().asReader());
        return true;
      });
      if (!read.isOk()) return read;
    }
    bdb::OwnershipGroup* street = storage_.group(order->getStreet().cStr());
    if (street == nullptr) return bdb::Status::ok();
    bdb::Status read = tables::kRoutes.get(*street, prefix, &routeRecord);
    if (read.isOk()) route = routeRecord.reader();
    if (!read.isOk() && !read.isNotFound()) return read;
    read = tables::kExecutions.scanPrefix(*street, prefix, [&](auto record) {
      copies.emplace_back().setRoot(record);
      executions.push_back(copies.back().getRoot<idl::Execution>().asReader());
      return true;
    });
    if (!read.isOk()) return read;
    read = tables::kRejects.scanPrefix(*street, prefix, [&](auto record) {
      copies.emplace_back().setRoot(record);
      rejects.push_back(copies.back().getRoot<idl::Reject>().asReader());
      return true;
    });
    if (!read.isOk()) return read;
    return tables::kClosures.scanPrefix(*street, prefix, [&](auto record) {
      copies.emplace_back().setRoot(record);
      closures.push_back(copies.back().getRoot<idl::Closure>().asReader());
      return true;
    });
  });
  if (!s.isOk()) return fromStorage(s);
  OrderRecords records{order.reader(), cancels, route ? &*route : nullptr,
                       executions,     rejects, closures};
  OrderView result{std::move(order), deriveStatus(records)};
  return result;
}

Outcome<OrderView> OrderDesk::status(std::string_view account, std::string_view orderId) {
  const std::string notFound =
      "no order " + common::echo(orderId) + " for account " + std::string(account);
  const std::string_view owner = common::ownerOf(orderId);
  const topology::Utility* utility = topology_.findUtility(owner);
  bdb::OwnershipGroup* group = storage_.group(owner);
  if (utility == nullptr || utility->role != topology::Role::kCustomer || group == nullptr) {
    return error(ErrorCode::NOT_FOUND, notFound);
  }
  bdb::Record<idl::Order> order;
  bdb::Status s = tables::kOrders.get(*group, bdb::Key::of(orderId), &order);
  if (s.isNotFound()) return error(ErrorCode::NOT_FOUND, notFound);
  if (!s.isOk()) return fromStorage(s);
  // Another account's order reads exactly like one that does not exist.
  if (std::string_view(order->getAccount().cStr()) != account) {
    return error(ErrorCode::NOT_FOUND, notFound);
  }
  return view(std::move(order));
}

Outcome<std::string> OrderDesk::cancel(std::string_view account, std::string_view orderId) {
  Outcome<OrderView> current = status(account, orderId);
  if (auto* refused = std::get_if<OrderError>(&current)) return *refused;
  const OrderView& order = std::get<OrderView>(current);
  if (isDone(order.status.state)) {
    return error(ErrorCode::TOO_LATE, "order " + std::string(orderId) + " is already " +
                                          std::string(stateName(order.status.state)));
  }
  std::string id;
  bdb::Status s = writeCancel(account, orderId, order.order->getStreet().cStr(),
                              bdb::WriteMode::kReplicated, &id);
  if (!s.isOk()) return fromStorage(s);
  return id;
}

bdb::Status OrderDesk::writeCancel(std::string_view account, std::string_view orderId,
                                   std::string_view street, bdb::WriteMode mode,
                                   std::string* cancelId) {
  capnp::MallocMessageBuilder message;
  auto cancel = message.initRoot<idl::CancelRequest>();
  cancel.setOrderId(std::string(orderId));
  cancel.setAccount(std::string(account));
  cancel.setStreet(std::string(street));
  std::string& id = *cancelId;
  return storage_.owned().write(
      [&](bdb::WriteTxn& txn) {
        if (bdb::Status allocated = common::allocateId(txn, storage_.site().id, &id);
            !allocated.isOk()) {
          return allocated;
        }
        cancel.setId(id);
        cancel.setRequestedAtNanos(clock_());
        return tables::kCancels.put(txn, bdb::Key().add(orderId).add(id), message);
      },
      mode);
}

OrderError OrderDesk::withdraw(std::string_view account, idl::Order::Reader order,
                               const bdb::Status& notReplicated) {
  const std::string orderId = order.getId();
  std::string cancelId;
  // The withdrawal is written here even if no replica is reachable (by now
  // the transport may know they are gone): it must exist wherever the order
  // does, and it follows the order in the group's log to every replica.
  bdb::Status s = writeCancel(account, orderId, order.getStreet().cStr(),
                              bdb::WriteMode::kLocalFirst, &cancelId);
  if (s.isOk() || s.code() == bdb::Status::Code::kNotReplicated) {
    return error(ErrorCode::NOT_REPLICATED,
                 "no second site acknowledged order " + orderId + " in time (" +
                     notReplicated.message() + "), so it was not accepted: it is withdrawn (" +
                     cancelId +
                     ") and will not go to market; place it again, with a new client "
                     "order id, once the utility is healthy");
  }
  return error(ErrorCode::NOT_REPLICATED,
               "no second site acknowledged order " + orderId + " in time (" +
                   notReplicated.message() + ") and it could not be withdrawn (" + s.toString() +
                   "): it may still go to market; check its status and cancel it before placing "
                   "it again");
}

OrderDesk::Undecided::~Undecided() {
  if (!sequence_) return;
  std::lock_guard lock(desk_.undecidedMutex_);
  desk_.undecided_.erase(desk_.undecided_.find(*sequence_));
}

bdb::Status OrderDesk::Undecided::allocate(bdb::WriteTxn& txn, std::string* id,
                                           uint64_t* sequence) {
  std::lock_guard lock(desk_.undecidedMutex_);
  bdb::Status s = common::allocateId(txn, desk_.storage_.site().id, id, sequence);
  if (!s.isOk()) return s;
  if (sequence_) desk_.undecided_.erase(desk_.undecided_.find(*sequence_));
  desk_.undecided_.insert(*sequence);
  sequence_ = *sequence;
  return s;
}

bdb::Status OrderDesk::release() {
  // The last sequence drawn and what is undecided, read together (an order
  // draws and registers under the same mutex): an order at or below the
  // last sequence is either still undecided or decided; one drawn later is
  // above it.
  uint64_t mark = 0;
  {
    std::lock_guard lock(undecidedMutex_);
    mark = storage_.owned().lastSequence();
    if (!undecided_.empty()) mark = std::min(mark, *undecided_.begin() - 1);
    if (mark <= released_) return bdb::Status::ok();
  }
  bdb::Status s = storage_.owned().write(
      [&](bdb::WriteTxn& txn) { return common::recordReleasedThrough(txn, mark); });
  // NotReplicated: durable here, and behind every cancel it covers in the
  // log, so a replica that receives it has received them too.
  if (!s.isOk() && s.code() != bdb::Status::Code::kNotReplicated) return s;
  std::lock_guard lock(undecidedMutex_);
  released_ = std::max(released_, mark);
  return bdb::Status::ok();
}

bdb::Status OrderDesk::ownOpenIds(std::string_view account, std::vector<std::string>* ids) {
  std::lock_guard lock(openMutex_);
  auto known = ownOpen_.find(std::string(account));
  if (known == ownOpen_.end()) {
    // First open list of this account here: one scan of its orders. An order
    // committed during the scan and missed by it is added by rememberOpen,
    // which waits for this lock.
    std::set<std::string> open;
    const bdb::Key prefix = bdb::Key().add(account);
    bdb::Status s = bdb::retryOnConflict([&] {
      open.clear();
      return tables::kClientOrders.scanPrefix(storage_.owned(), prefix,
                                              [&](idl::OrderRef::Reader ref) {
                                                std::string id = ref.getOrderId();
                                                std::lock_guard doneLock(doneMutex_);
                                                if (done_.count(id) == 0)
                                                  open.insert(std::move(id));
                                                return true;
                                              });
    });
    if (!s.isOk()) return s;
    known = ownOpen_.emplace(std::string(account), std::move(open)).first;
  }
  ids->assign(known->second.begin(), known->second.end());
  return bdb::Status::ok();
}

void OrderDesk::rememberOpen(std::string_view account, const std::string& orderId) {
  std::lock_guard lock(openMutex_);
  auto known = ownOpen_.find(std::string(account));
  if (known != ownOpen_.end()) known->second.insert(orderId);
}

void OrderDesk::forgetOpen(std::string_view account, const std::string& orderId) {
  std::lock_guard lock(openMutex_);
  auto known = ownOpen_.find(std::string(account));
  if (known != ownOpen_.end()) known->second.erase(orderId);
}

Outcome<std::vector<OrderView>> OrderDesk::list(std::string_view account, bool openOnly) {
  std::vector<OrderView> orders;
  const bdb::Key prefix = bdb::Key().add(account);
  for (const topology::Utility& utility : topology_.utilities()) {
    if (utility.role != topology::Role::kCustomer) continue;
    bdb::OwnershipGroup* group = storage_.group(utility.id);
    if (group == nullptr) continue;
    const bool own = openOnly && group == &storage_.owned();
    std::vector<std::string> ids;
    bdb::Status s = own ? ownOpenIds(account, &ids) : bdb::retryOnConflict([&] {
      ids.clear();
      return tables::kClientOrders.scanPrefix(*group, prefix, [&](idl::OrderRef::Reader ref) {
        ids.emplace_back(ref.getOrderId());
        return true;
      });
    });
    if (!s.isOk()) return fromStorage(s);
    // The index is in client order id order; ids grow within their group.
    std::sort(ids.begin(), ids.end());
    for (const std::string& id : ids) {
      if (openOnly) {
        std::lock_guard lock(doneMutex_);
        if (done_.count(id) != 0) continue;
      }
      Outcome<OrderView> order = status(account, id);
      if (auto* refused = std::get_if<OrderError>(&order)) return *refused;
      OrderView& found = std::get<OrderView>(order);
      if (isDone(found.status.state)) {
        if (own) forgetOpen(account, id);
        std::lock_guard lock(doneMutex_);
        done_.insert(id);
        if (openOnly) continue;
      }
      orders.push_back(std::move(found));
    }
  }
  return orders;
}

}  // namespace triad::customer
