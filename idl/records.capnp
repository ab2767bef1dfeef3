@0xd04f46ae61fe6360;
# The records every utility writes to its own ownership group (DESIGN §2) and
# every other utility reads from its replica. They are also the payload of
# every bus message (bus.capnp): the data is the protocol (DESIGN §4).
#
# Units: prices and money are fixed-point integers with the scale in the name
# (`priceMicros`: millionths of a currency unit); quantities are whole shares;
# times are nanoseconds since the Unix epoch, UTC. Identifiers are global and
# name their owner: order "cf2-000000123", execution "ss1-000004711".

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("triad::idl");

enum Side { buy @0; sell @1; }
enum OrderType { market @0; limit @1; }
enum TimeInForce { day @0; ioc @1; gtc @2; }

# ---- type 1: customer data, written by the customer utility that took it ----

struct Order {
  id @0 :Text;                 # "cf1-000000042"
  account @1 :Text;
  clientOrderId @2 :Text;      # the customer's idempotency key, unique per account
  symbol @3 :Text;
  side @4 :Side;
  type @5 :OrderType;
  timeInForce @6 :TimeInForce;
  quantity @7 :Int64;
  limitPriceMicros @8 :Int64;  # 0 for market orders
  currency @9 :Text;
  street @10 :Text;            # the street utility the routing table chose
  venue @11 :Text;             # the exchange it routes to
  reservedMicros @12 :Int64;   # buying power held for a buy at placement
  placedAtNanos @13 :Int64;
  session @14 :Text;           # the session that placed it (audit)
}

struct OrderRef {
  # The value of `client_orders` (key: account, client order id): the order
  # that client order id placed, read from `orders` of the same group. Both
  # are written in one transaction, so a replica holds both or neither.
  orderId @0 :Text;
}

struct CancelRequest {
  id @0 :Text;                 # "cf2-000000007": owned by the utility that took the request
  orderId @1 :Text;            # may belong to any customer group
  account @2 :Text;
  street @3 :Text;             # copied from the order so the street consumes it directly
  requestedAtNanos @4 :Int64;
}

struct SessionAudit {
  id @0 :Text;
  account @1 :Text;
  peer @2 :Text;
  event @3 :Event;
  atNanos @4 :Int64;
  enum Event { loggedIn @0; loginRefused @1; loggedOut @2; expired @3; }
}

# ---- type 3: street data, written by the street utility that routed it ----

struct Route {
  orderId @0 :Text;            # key: one route per order, ever
  street @1 :Text;
  venue @2 :Text;
  fixClOrdId @3 :Text;         # the ClOrdID sent on the FIX session
  venueOrderId @4 :Text;       # the venue's OrderID, once its acknowledgement is recorded
  routedAtNanos @5 :Int64;
  acknowledgedAtNanos @6 :Int64;  # when the venue acknowledged it (0: not recorded)
}

struct Execution {
  # Key: (order id, venue, venue session, venue ExecID): the report's dedup
  # identity, so a resend is found by one point read (docs/storage.md).
  id @0 :Text;                 # "ss1-000004711": the firm books by it
  orderId @1 :Text;
  venue @2 :Text;
  venueExecId @3 :Text;        # FIX ExecID (17)
  account @4 :Text;
  symbol @5 :Text;
  side @6 :Side;
  quantity @7 :Int64;          # this fill
  priceMicros @8 :Int64;
  currency @9 :Text;
  cumulativeQuantity @10 :Int64;
  leavesQuantity @11 :Int64;
  executedAtNanos @12 :Int64;
  venueSession @13 :Text;      # what makes the ExecID unique at its venue: "yyyymmdd"
}

struct Reject {
  # Key: (order id, venue, venue session, venue ExecID), as an Execution's.
  id @0 :Text;
  orderId @1 :Text;
  kind @2 :Kind;
  reason @3 :Text;
  cancelRequestId @4 :Text;    # for refused cancels
  atNanos @5 :Int64;
  venue @6 :Text;
  venueSession @7 :Text;
  venueExecId @8 :Text;        # the venue's ExecID, or one the street derived
  enum Kind { orderRejected @0; cancelRefused @1; }
}

struct Closure {
  # The venue has closed the order's remainder: a confirmed cancel or an expiry.
  id @0 :Text;
  orderId @1 :Text;
  reason @2 :Reason;
  leavesQuantity @3 :Int64;    # what was closed unfilled
  cancelRequestId @4 :Text;
  atNanos @5 :Int64;
  venue @6 :Text;              # key: (order id, venue, venue session, venue ExecID)
  venueSession @7 :Text;
  venueExecId @8 :Text;
  enum Reason { cancelled @0; expired @1; }
}

struct RefusedReport {
  # A report from a venue that the street utility could not record as an
  # execution, a rejection or a closure: kept, because it may be money, for
  # an operator to resolve with the venue; `triadctl verify` lists it.
  # Key: (venue, venue session, venue ExecID, ClOrdID), so a resend of it is
  # kept once.
  id @0 :Text;
  venue @1 :Text;
  venueSession @2 :Text;
  venueExecId @3 :Text;
  clOrdId @4 :Text;            # what the report named
  orderId @5 :Text;            # the order it names, "" if none is known
  reason @6 :Reason;
  detail @7 :Text;             # what was wrong, for a person
  quantity @8 :Int64;          # a fill's LastQty (0 otherwise)
  priceMicros @9 :Int64;       # a fill's LastPx
  receivedAtNanos @10 :Int64;
  message @11 :Text;           # the FIX message as received, fields separated by '|'
  enum Reason {
    overfill @0;               # it would take the order's filled quantity above its quantity
    unknownOrder @1;           # no order of this street utility has its ClOrdID
    conflictingExecId @2;      # its ExecID was recorded before with other terms
    invalid @3;                # a field is malformed
  }
}

# ---- type 2: firm data, written by the firm utility only ----

struct RiskLimits {
  maxOrderNotionalMicros @0 :Int64;  # 0: no limit
  maxPosition @1 :Int64;             # 0: no limit
  allowedSymbols @2 :List(Text);     # empty: all symbols
  allowShort @3 :Bool;
}

struct Account {
  id @0 :Text;
  name @1 :Text;
  secretHash @2 :Text;         # libsodium Argon2id string; never the secret
  currency @3 :Text;
  limits @4 :RiskLimits;
  createdAtNanos @5 :Int64;
  disabled @6 :Bool;
}

struct Balance {
  # A customer's cash in one currency. The firm's books (firm:bank,
  # firm:street) have none: theirs is derived from the postings.
  account @0 :Text;
  currency @1 :Text;
  tradeDateMicros @2 :Int64;   # cash including unsettled trades
  settledMicros @3 :Int64;     # cash that has settled
}

struct Position {
  # A customer's holding of one symbol (none for the firm's books).
  account @0 :Text;
  symbol @1 :Text;
  quantity @2 :Int64;
  costBasisMicros @3 :Int64;   # total cost of the open quantity
  realisedPnlMicros @4 :Int64;
}

struct Posting {
  # One double-entry posting of the ledger, all of its legs in one record:
  # the legs sum to zero per currency and per symbol. Stored once, under the
  # key that makes it happen once: a trade under its execution id
  # (`bookings`), a deposit or withdrawal made with a reference under the
  # reference (`cash_references`), any other under its id (`postings`).
  id @0 :Text;                 # "firm-000000042"
  kind @1 :Kind;
  atNanos @2 :Int64;           # when it was posted
  tradeDate @3 :Int32;         # yyyymmdd: the trade's date, the day of a deposit or
                               # withdrawal, the trade date a settlement settles
  legs @4 :List(Leg);
  executionId @5 :Text;        # trade: the execution booked
  settledAccount @6 :Text;     # settlement: the customer whose trade cash it settles, in
                               # the legs' currency; the amount is the firm:street leg
  auditId @7 :Text;            # the Admin audit entry (`admin_audit`) of the operator's write
                               # that made it; empty for a trade (booked from its execution)

  struct Leg {
    account @0 :Text;          # a customer account or a firm book ("firm:street", "firm:bank")
    asset @1 :Text;            # a currency ("USD") or a symbol: `assets` says which
    amount @2 :Int64;          # micros for currencies, shares for symbols; signed
  }
  enum Kind { trade @0; fee @1; deposit @2; withdrawal @3; settlement @4; }
}

struct CashReference {
  # A deposit or withdrawal made with a caller-supplied reference, and its
  # posting: a retry with the same reference and content is answered with
  # this, and posts nothing (docs/decisions.md).
  reference @0 :Text;
  account @1 :Text;            # what the caller asked for: compared with each retry
  currency @2 :Text;
  amountMicros @3 :Int64;      # positive; `kind` says which way
  kind @4 :Posting.Kind;       # deposit or withdrawal
  tradeDateMicros @5 :Int64;   # the account's cash right after the posting
  settledMicros @6 :Int64;
  atNanos @7 :Int64;
  posting @8 :Posting;         # what it posted (kept here only)
}

struct Asset {
  # A name the ledger uses as an asset. A leg's asset does not say cash or
  # shares, so each name is registered as one or the other when the books
  # first use it, and never as both.
  name @0 :Text;
  kind @1 :Kind;
  firstUsedAtNanos @2 :Int64;
  enum Kind { cash @0; security @1; }
}

struct Halt {
  symbol @0 :Text;
  halted @1 :Bool;
  reason @2 :Text;
  atNanos @3 :Int64;
  auditId @4 :Text;            # the Admin audit entry of the halt or resume that wrote it
}

struct VenueRoute {
  symbol @0 :Text;             # "*" is the default route
  street @1 :Text;
  venue @2 :Text;
  currency @3 :Text;
  lastPriceMicros @4 :Int64;   # reference price for market-order reservations
}

# ---- the operators' trail (issue 17), written by the firm utility ----

struct AdminAudit {
  # One Admin write an operator made (or the firm's own schedule), recorded
  # by the owner of the group it changes in the same transaction as the
  # change; a write the books refused is recorded alone, with its refusal.
  # Key (`admin_audit`): (atNanos, id), so a time range is one cursor range.
  id @0 :Text;                 # "firm-000000123", from the group's sequence
  atNanos @1 :Int64;
  operatorName @2 :Text;       # the common name of the operator's certificate, or
                               # "system:<what>" for a write the daemon made by itself
  peer @3 :Text;               # "127.2.0.9:40112": where the call came from; empty for system
  call @4 :Text;               # the Admin method: "deposit", "approveWithdrawal", ...
  arguments @5 :Text;          # its parameters, Cap'n Proto text; secrets redacted
  account @6 :Text;            # the account it concerns, if any
  symbol @7 :Text;             # the symbol it concerns, if any
  ok @8 :Bool;                 # done; false: refused, and nothing else was written
  errorCode @9 :Text;          # refused: the ErrorCode's name ("insufficientBuyingPower")
  detail @10 :Text;            # what was done, or the refusal's reason
  postingId @11 :Text;         # the posting it made, if any (which names this entry back)
  requestId @12 :Text;         # the withdrawal request it made or decided, if any
  site @13 :Text;              # the utility that served the call
}

struct WithdrawalRequest {
  # A withdrawal above the four-eyes amount, waiting for a second treasury
  # operator (docs/operations.md). Key (`withdrawal_requests`): (account,
  # id), so the customer utilities' buying power reads an account's with one
  # prefix scan. A pending request past `expiresAtNanos` is expired: it can
  # no longer be approved and holds no cash (derived; nothing is written).
  id @0 :Text;                 # "firm-000000051"
  account @1 :Text;
  currency @2 :Text;
  amountMicros @3 :Int64;      # positive
  reference @4 :Text;          # the posting's reference once approved (cash_references)
  requestedBy @5 :Text;        # the operator who asked
  requestedAtNanos @6 :Int64;
  expiresAtNanos @7 :Int64;
  state @8 :State;
  decidedBy @9 :Text;          # the operator who approved or rejected it
  decidedAtNanos @10 :Int64;
  reason @11 :Text;            # a rejection's reason
  postingId @12 :Text;         # approved: the withdrawal's posting
  requestAuditId @13 :Text;    # the audit entry of the withdraw call
  decisionAuditId @14 :Text;   # the audit entry of the approval or rejection
  enum State { pending @0; approved @1; rejected @2; }
}

# ---- bookkeeping every group carries ----

struct Counter {
  # A group's id allocator (_meta/ids): ids are "<owner>-<value, 9 digits>".
  value @0 :UInt64;
}

struct CommitMark {
  # Written by the owner in every committed transaction of its group, so that
  # any replica can tell cheaply how far it has advanced (DESIGN §2).
  sequence @0 :UInt64;
  committedAtNanos @1 :Int64;
  owner @2 :Text;
}
