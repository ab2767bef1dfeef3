@0x94343023eea80f89;
# The bus envelope (DESIGN §4): every message carries the full record and a
# per-publisher sequence number, so consumers are idempotent and see gaps.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("triad::idl");

using Records = import "records.capnp";

struct Envelope {
  topic @0 :Text;              # e.g. "order.ss1", "execution", "heartbeat"
  origin @1 :Text;             # the publishing utility's id
  incarnation @2 :UInt64;      # changes when the publisher restarts
  sequence @3 :UInt64;         # 1, 2, 3... per (origin, incarnation, topic), so a
                               # subscriber to some topics sees no false gaps
  sentAtNanos @4 :Int64;
  record :union {
    heartbeat @5 :Heartbeat;
    order @6 :Records.Order;
    cancelRequest @7 :Records.CancelRequest;
    route @8 :Records.Route;
    execution @9 :Records.Execution;
    reject @10 :Records.Reject;
    closure @11 :Records.Closure;
    booking @12 :Records.Posting;      # a booked execution: its trade posting
    halt @13 :Records.Halt;
    marketData @14 :MarketData;
    venueStatus @15 :VenueStatus;
  }
}

struct Heartbeat {
  # Lets consumers notice a gap at the tail of a stream, and carries the
  # publisher's group position for lag monitoring.
  lastSequence @0 :UInt64;
  commitSequence @1 :UInt64;
}

struct VenueStatus {
  # Whether a street utility's FIX session to a venue is logged on: sent on
  # every change and again every few seconds (topic "venue.<venue>").
  venue @0 :Text;
  street @1 :Text;             # the street utility whose session this is
  up @2 :Bool;
  reason @3 :Text;             # why it went down, when it did
  atNanos @4 :Int64;           # when the session's state last changed
}

struct MarketData {
  venue @0 :Text;
  symbol @1 :Text;
  bidPriceMicros @2 :Int64;
  bidQuantity @3 :Int64;
  askPriceMicros @4 :Int64;
  askQuantity @5 :Int64;
  lastPriceMicros @6 :Int64;
  lastQuantity @7 :Int64;
  atNanos @8 :Int64;
}
