@0xde3c57b9a1e84f88;
# The operator interface (DESIGN §5), served by every daemon on its firm-side
# address only and used by triadctl.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("triad::idl");

using Records = import "records.capnp";
using Customer = import "customer.capnp";

struct Health {
  id @0 :Text;
  role @1 :Text;
  version @2 :Text;
  startedAtNanos @3 :Int64;
  ready @4 :Bool;
  problems @5 :List(Text);     # empty when healthy
}

enum ReplicationRole { master @0; client @1; initialising @2; down @3; }

struct Lsn {
  file @0 :UInt32;
  offset @1 :UInt32;
}

struct GroupStatus {
  group @0 :Text;              # the owning utility's id
  site @1 :Text;               # the reporting site
  role @2 :ReplicationRole;
  master @3 :Text;             # the site this one follows (itself for the master)
  lsn @4 :Lsn;                 # end of the log applied here
  commitSequence @5 :UInt64;   # position: the last permanent LSN committed (owner) or
                               # applied (replica) here, packed as file << 32 | offset
  lastCommitNanos @6 :Int64;   # when this site reached that position (its clock)
  peers @7 :List(PeerLink);    # owner: every replica; replica: the owner
  permFailures @8 :UInt64;     # commits no replica acknowledged in time (owner only)
  commits @9 :UInt64;          # transactions committed since the group opened (owner only)
  stalled @10 :Bool;           # owner: replicas have acknowledged nothing for over the
                               # ack timeout; writes are refused until one does
}

struct PeerLink {
  site @0 :Text;
  connected @1 :Bool;          # its replication connection with this site is up
  acknowledged @2 :Lsn;        # owner only: the group's log on that replica's disk
  commitsBehind @3 :UInt64;    # owner only: commits it has not acknowledged
  behindNanos @4 :Int64;       # owner only: age of the oldest of them
}

# One peer connection of a site's replication transport (every group shares it).
struct ReplicationLink {
  site @0 :Text;
  connected @1 :Bool;          # heard from within the peer timeout
  lastHeardAgoMillis @2 :Int64;  # -1: never
  batchesSent @3 :UInt64;
  messagesSent @4 :UInt64;
  bytesSent @5 :UInt64;
  batchesReceived @6 :UInt64;
  messagesReceived @7 :UInt64;
  bytesReceived @8 :UInt64;
  dropped @9 :UInt64;          # messages not sent: the peer unreachable or too slow
}

struct ReplicationLinks {
  links @0 :List(ReplicationLink);
  refusedConnections @1 :UInt64;  # not a topology site's key, or not one that dials us
  refusedMessages @2 :UInt64;     # a site speaking for a group it does not own, or garbage
}

struct AccountRequest {
  id @0 :Text;
  name @1 :Text;
  secret @2 :Text;
  currency @3 :Text;
  limits @4 :Records.RiskLimits;
}

struct AdminResult {
  union {
    ok @0 :Text;
    error @1 :Customer.Error;
  }
}

struct VerifyReport {
  clean @0 :Bool;
  findings @1 :List(Text);
  executionsBooked @2 :UInt64;
}

interface Admin {
  health @0 () -> (health :Health);
  groups @1 () -> (groups :List(GroupStatus));
  halt @2 (symbol :Text, reason :Text) -> (result :AdminResult);
  resume @3 (symbol :Text) -> (result :AdminResult);
  accounts @4 () -> (accounts :List(Records.Account));
  createAccount @5 (request :AccountRequest) -> (result :AdminResult);
  # `reference` (optional; 1-128 printable characters, no spaces) makes a
  # deposit or withdrawal idempotent: a repeat with the same reference and
  # content posts nothing and is answered as the first was; the same
  # reference with other content is refused (duplicate). Retry a notReplicated
  # answer with the same reference.
  deposit @6 (account :Text, currency :Text, amountMicros :Int64, reference :Text)
      -> (result :AdminResult);
  # A withdrawal above the firm's four-eyes amount posts nothing yet: it is
  # answered ok with `pendingRequest` set, and waits for approveWithdrawal.
  withdraw @7 (account :Text, currency :Text, amountMicros :Int64, reference :Text)
      -> (result :AdminResult, pendingRequest :Text);
  setLimits @8 (account :Text, limits :Records.RiskLimits) -> (result :AdminResult);
  setRoute @9 (route :Records.VenueRoute) -> (result :AdminResult);
  routes @10 () -> (routes :List(Records.VenueRoute));
  settle @11 (throughTradeDate :Int32) -> (result :AdminResult);
  verify @12 () -> (report :VerifyReport);
  orders @13 (account :Text, symbol :Text) -> (orders :List(Customer.OrderStatus));
  busStats @14 () -> (stats :List(BusStat));
  replication @15 () -> (links :ReplicationLinks);
  # A street utility's dealings with its venues (issue 16); others answer
  # UNIMPLEMENTED.
  venueAlarms @16 () -> (alarms :VenueAlarms);

  # ---- Operators (issue 17): every call is made over mutual TLS by an
  # operator whose certificate's common name the role map gives roles; a
  # call the roles do not allow is refused with permissionDenied naming the
  # role it needs (docs/operations.md, "Operators").
  whoami @17 () -> (operator :OperatorInfo);           # any operator, even without roles
  accessStats @18 () -> (stats :AccessStats);          # viewer
  roles @19 () -> (roles :RoleMapInfo);                # admin: the role map in force here
  # The firm's audit trail as this site's copy of the firm group holds it
  # (viewer), oldest first: every site can answer.
  audit @20 (filter :AuditFilter) -> (entries :List(Records.AdminAudit), truncated :Bool);
  # Withdrawal requests waiting for a second treasury operator (viewer); with
  # `all`, decided and expired ones too. `asOfNanos` is the clock that says
  # which have expired.
  withdrawals @21 (account :Text, all :Bool)
      -> (requests :List(Records.WithdrawalRequest), asOfNanos :Int64);
  approveWithdrawal @22 (requestId :Text) -> (result :AdminResult);        # treasury
  rejectWithdrawal @23 (requestId :Text, reason :Text) -> (result :AdminResult);  # treasury
}

# What a street utility has met at its venues: the requests a venue has not
# answered, and what it sent that could not be taken as it was.
struct VenueAlarms {
  stuck @0 :List(StuckRequest);          # unanswered past the venue's answer-timeout
  unconfirmed @1 :List(StuckRequest);    # routes of an earlier run not re-sent: the venue
                                         # could not be asked whether it has them
  venueRejects @2 :UInt64;               # session (35=3) and business (35=j) rejects, since start
  refusedReports @3 :UInt64;             # reports refused since start (of which overfills)
  overfills @4 :UInt64;
  refusedReportsKept @5 :UInt64;         # refused reports in this street's group, ever
  statusRequests @6 :UInt64;             # OrderStatusRequests (35=H) sent since start
  unknownReferences @7 :UInt64;          # venue rejects naming nothing this street sent
}

struct StuckRequest {
  kind @0 :Text;                         # "order" or "cancel"
  clOrdId @1 :Text;
  orderId @2 :Text;
  venue @3 :Text;
  sinceNanos @4 :Int64;                  # when it was sent (or, unconfirmed, routed)
  statusRequested @5 :Bool;              # an OrderStatusRequest went out for it
}

struct OperatorInfo {
  name @0 :Text;               # the certificate's common name
  roles @1 :List(Text);        # "viewer", "operator", "treasury", "admin"
  revoked @2 :Text;            # why, when the role map revokes this operator; else empty
  peer @3 :Text;               # whoami: the address the daemon sees the call from
}

struct AccessStats {
  # Counted since the daemon started.
  permissionDenied @0 :UInt64;   # calls refused: a role missing, or the operator revoked
  refusedConnections @1 :UInt64; # Admin connections refused at the TLS handshake:
                                 # plaintext, no certificate, another CA
  rolesDigest @2 :Text;          # of the role map in force: equal at every daemon
  rolesLoadedAtNanos @3 :Int64;
  rolesReloadsRefused @4 :UInt64;  # SIGHUPs whose role map was refused (the old one stays)
}

struct RoleMapInfo {
  source @0 :Text;             # the file
  digest @1 :Text;
  loadedAtNanos @2 :Int64;
  operators @3 :List(OperatorInfo);
}

struct AuditFilter {
  operatorName @0 :Text;       # empty: any
  account @1 :Text;            # empty: any
  call @2 :Text;               # empty: any
  fromNanos @3 :Int64;         # 0: from the first entry
  toNanos @4 :Int64;           # 0: to the last
  limit @5 :UInt32;            # the latest this many that match (0: 1000)
}

struct BusStat {
  origin @0 :Text;
  lastSequence @1 :UInt64;
  gaps @2 :UInt64;
  duplicates @3 :UInt64;
  catchUps @4 :UInt64;
  bus @5 :Text;                # "customer" or "firm": the bus this origin was heard on
}
