// The customer utility's order desk (DESIGN §3): what placeOrder, cancelOrder,
// orderStatus and listOrders do, without the RPC around them, so tests can
// drive it over real storage without a process.
//
// - place: validates, checks halts and the firm's routing table on the firm
//   replica, runs the pre-trade checks (buying power, limits), and writes the
//   order to this utility's own group; it returns once the commit is durable
//   and acknowledged by a replica. A retried client order id returns the
//   original order (at this utility, or at any other once replicated). An
//   order no replica acknowledged in time is refused (NOT_REPLICATED) and
//   withdrawn by a cancel request, so that it never goes to market.
// - release: records the group's release mark (id_allocator.h): the highest
//   sequence through which every order placed here has been decided. A
//   street utility routes an order nobody announced to it only once the mark
//   covers it, so it sees a withdrawn order's cancel request first.
// - cancel: works for an order placed at any customer utility: it writes a
//   cancel request to this utility's own group.
// - status/list: derived from the local replicas (order_state.h).
//
// Every refusal is a typed OrderError with a reason a person can act on.
// An account never sees another account's orders: they read as not found.
//
// Thread-safety: all methods may be called concurrently.

#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "base/topology.h"
#include "bdb/table.h"
#include "idl/customer.capnp.h"
#include "utilities/common/site_storage.h"
#include "utilities/customer/order_state.h"

namespace triad::customer {

struct OrderError {
  idl::ErrorCode code;
  std::string reason;
};

template <typename T>
using Outcome = std::variant<T, OrderError>;

struct OrderView {
  bdb::Record<idl::Order> order;
  DerivedStatus status;
};

// A check before an order is accepted (buying power, risk limits). Returns
// the refusal, or nothing to let the order through; it may set what it holds
// for the order (Order.reservedMicros) on the record about to be written.
using PreTradeCheck =
    std::function<std::optional<OrderError>(std::string_view account, idl::Order::Builder order)>;

class OrderDesk {
 public:
  using Clock = std::function<int64_t()>;  // nanoseconds since the epoch

  OrderDesk(const topology::Topology& topology, common::SiteStorage& storage, Clock clock,
            PreTradeCheck preTradeCheck = nullptr);

  Outcome<OrderView> place(std::string_view account, std::string_view session,
                           idl::OrderRequest::Reader request);
  // Returns the cancel request's id.
  Outcome<std::string> cancel(std::string_view account, std::string_view orderId);
  Outcome<OrderView> status(std::string_view account, std::string_view orderId);
  // The account's orders placed at every customer utility, oldest first per
  // utility. With `openOnly`, orders this desk has already seen in a final
  // state are skipped without deriving their status again (a final state is
  // final: no record can reopen an order), so the pre-trade check costs the
  // account's open orders, not its whole history; the account's open orders
  // at this utility come from an index this desk keeps (see ownOpen_), so
  // that the check does not scan the account's history here either.
  Outcome<std::vector<OrderView>> list(std::string_view account, bool openOnly);

  // Advances the release mark past every order decided since the last call
  // (writing nothing if none was). One caller at a time; a customer utility
  // calls it a few times a second, and once at start-up, which releases the
  // orders of an earlier run that ended before answering them.
  bdb::Status release();

 private:
  std::optional<OrderError> validate(idl::OrderRequest::Reader request) const;
  std::optional<OrderError> checkTradable(std::string_view symbol, idl::VenueRoute::Builder route);
  // The order an earlier call placed with this client order id, at any
  // customer utility: client_orders names it, orders of the same group
  // holds it.
  Outcome<std::optional<bdb::Record<idl::Order>>> findRetry(std::string_view account,
                                                            std::string_view clientOrderId);
  Outcome<OrderView> view(bdb::Record<idl::Order> order);
  // Records a cancel request for `orderId` in this utility's group.
  bdb::Status writeCancel(std::string_view account, std::string_view orderId,
                          std::string_view street, bdb::WriteMode mode, std::string* cancelId);
  // An order committed here that no replica acknowledged is not accepted:
  // a cancel request recorded at once withdraws it (the street utility
  // closes an order cancelled before it was routed, never sending it).
  OrderError withdraw(std::string_view account, idl::Order::Reader order,
                      const bdb::Status& notReplicated);
  // The ids of the account's orders in this utility's own group not yet seen
  // final, in id order.
  bdb::Status ownOpenIds(std::string_view account, std::vector<std::string>* ids);
  void rememberOpen(std::string_view account, const std::string& orderId);
  void forgetOpen(std::string_view account, const std::string& orderId);

  // An order being placed whose fate (accepted, or withdrawn) is not yet
  // decided: registered inside its write, before the commit, so that
  // release() never passes it; forgotten once place() has decided.
  class Undecided {
   public:
    explicit Undecided(OrderDesk& desk) : desk_(desk) {}
    ~Undecided();
    Undecided(const Undecided&) = delete;
    Undecided& operator=(const Undecided&) = delete;
    // Draws the order's id and registers it, as one step under the desk's
    // undecidedMutex_, so release() sees either neither or both. Called by
    // each run of the write (a retried run allocates again).
    bdb::Status allocate(bdb::WriteTxn& txn, std::string* id, uint64_t* sequence);

   private:
    OrderDesk& desk_;
    std::optional<uint64_t> sequence_;
  };

  const topology::Topology& topology_;
  common::SiteStorage& storage_;
  const Clock clock_;
  const PreTradeCheck preTradeCheck_;
  // Orders seen in a final state (ids), so that open-order lists skip them.
  // Grows with the orders of the day: about 50 bytes an order.
  std::mutex doneMutex_;
  std::unordered_set<std::string> done_;
  // Per account, the ids of its orders in the group this utility owns that
  // are not known final. Only this desk writes client orders to that group,
  // so the index, loaded by one scan of the account's orders on its first
  // open list, is then kept by place() (after each commit) and list() (which
  // drops what it finds final). Scanning the account's client orders on
  // every order cost its whole history (~1 ms at 1,000 orders).
  std::mutex openMutex_;  // taken before doneMutex_ when both are held
  std::unordered_map<std::string, std::set<std::string>> ownOpen_;
  // The sequences of the orders being placed (see Undecided), and the last
  // release mark recorded by release().
  std::mutex undecidedMutex_;
  std::multiset<uint64_t> undecided_;
  uint64_t released_ = 0;
};

// True for the final states: filled, cancelled, rejected, expired.
bool isDone(idl::OrderState state);

}  // namespace triad::customer
