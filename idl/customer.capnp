@0x8a2aa17130348d7b;
# The customer-facing interface (DESIGN §3, §5), served by every customer
# utility on its customer-facing address. A customer logs in and gets a
# Session capability bound to one account: every call goes through it, so no
# account can see or touch another's orders.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("triad::idl");

using Records = import "records.capnp";

enum ErrorCode {
  invalidArgument @0;          # a field is malformed: the reason names it
  unknownSymbol @1;
  insufficientBuyingPower @2;
  riskLimit @3;
  halted @4;
  notFound @5;                 # includes another account's order ids
  notReplicated @6;            # no replica acknowledged: nothing was accepted
  unavailable @7;              # the utility cannot serve this now; retry
  unauthenticated @8;
  rateLimited @9;
  sessionExpired @10;
  duplicate @11;
  tooLate @12;                 # e.g. cancelling a filled order
  internal @13;
  permissionDenied @14;        # Admin: the operator's roles do not allow the call; the
                               # reason names the role it needs
}

struct Error {
  code @0 :ErrorCode;
  reason @1 :Text;             # one line a person can act on
}

enum OrderState {
  pendingNew @0;
  new @1;
  partiallyFilled @2;
  filled @3;
  pendingCancel @4;
  cancelled @5;
  rejected @6;
  expired @7;
}

struct OrderRequest {
  clientOrderId @0 :Text;
  symbol @1 :Text;
  side @2 :Records.Side;
  type @3 :Records.OrderType;
  timeInForce @4 :Records.TimeInForce;
  quantity @5 :Int64;
  limitPriceMicros @6 :Int64;
}

struct OrderStatus {
  order @0 :Records.Order;
  state @1 :OrderState;
  filledQuantity @2 :Int64;
  averagePriceMicros @3 :Int64;
  leavesQuantity @4 :Int64;
  reason @5 :Text;             # why rejected, refused or expired
  asOfNanos @6 :Int64;
}

struct BalanceView {
  currency @0 :Text;
  tradeDateMicros @1 :Int64;
  settledMicros @2 :Int64;
  reservedMicros @3 :Int64;    # held by open buys
  buyingPowerMicros @4 :Int64;
}

struct PositionView {
  symbol @0 :Text;
  quantity @1 :Int64;
  averageCostMicros @2 :Int64;
  realisedPnlMicros @3 :Int64;
}

interface Gateway {
  login @0 (account :Text, secret :Text) -> (result :LoginResult);
}

struct LoginResult {
  union {
    session @0 :Session;
    error @1 :Error;
  }
}

interface Session {
  placeOrder @0 (request :OrderRequest) -> (result :OrderResult);
  cancelOrder @1 (orderId :Text) -> (result :CancelResult);
  orderStatus @2 (orderId :Text) -> (result :StatusResult);
  listOrders @3 (openOnly :Bool) -> (orders :List(OrderStatus));
  balance @4 () -> (result :BalanceResult);
  positions @5 () -> (positions :List(PositionView));
  watch @6 (listener :OrderListener) -> (subscription :Subscription);
  logout @7 ();
}

struct OrderResult {
  union {
    status @0 :OrderStatus;    # the order as accepted (or as first accepted, on a retry)
    error @1 :Error;
  }
}

struct CancelResult {
  union {
    requestId @0 :Text;
    error @1 :Error;
  }
}

struct StatusResult {
  union {
    status @0 :OrderStatus;
    error @1 :Error;
  }
}

struct BalanceResult {
  union {
    balance @0 :BalanceView;
    error @1 :Error;
  }
}

interface OrderListener {
  update @0 (status :OrderStatus) -> ();
  marketData @1 (venue :Text, symbol :Text, bidPriceMicros :Int64, askPriceMicros :Int64,
                 lastPriceMicros :Int64) -> ();
}

interface Subscription {
  # Dropping the capability ends the watch.
}
