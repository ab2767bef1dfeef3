// The operators' audit trail in the books (issue 17): one AdminAudit record
// (idl/records.capnp) per Admin write, in the group the write changes and in
// the same transaction as the change, so it replicates with it and exists
// exactly when the change does. A write the books refused is recorded alone,
// with its refusal. Calls refused for want of a role never reach the books:
// they are logged and counted (admin_listener.h), not recorded here.
//
// Key (`admin_audit`): (atNanos, id), so `triadctl audit --from/--to` is one
// cursor range. Ids come from the group's sequence ("firm-000000123"), the
// same as postings', so an audit entry and the posting it made never share one.
//
// Thread-safety: free functions; the group serialises writes.

#pragma once

#include <capnp/message.h>
#include <capnp/orphan.h>
#include <kj/vector.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "bdb/ownership_group.h"
#include "idl/admin.capnp.h"
#include "idl/records.capnp.h"

namespace triad::common {

// Who asked for a write, and what: filled by the Admin method, completed by
// the write (id, atNanos, postingId).
struct AuditStamp {
  std::string operatorName;  // the certificate's common name, or "system:<what>"
  std::string peer;          // where the call came from
  std::string call;          // the Admin method
  std::string arguments;     // its parameters, Cap'n Proto text, secrets redacted
  std::string account;       // what it concerns, when it does
  std::string symbol;
  std::string site;    // the utility serving it
  std::string detail;  // what it is to do ("deposit 100.00 USD to alice")
  // Set by the write:
  std::string id;
  int64_t atNanos = 0;
  std::string postingId;
  std::string requestId;
};

// Stores the entry for `stamp` (ok, or refused with `errorCode` and `reason`).
bdb::Status putAuditEntry(bdb::WriteTxn& txn, const AuditStamp& stamp, bool ok,
                          std::string_view errorCode, std::string_view reason);

// The entries `filter` selects, oldest first: the latest `limit` (0: 1000) of
// those that match; `truncated` when more matched.
bdb::Status readAudit(bdb::OwnershipGroup& group, idl::AuditFilter::Reader filter,
                      capnp::MessageBuilder& scratch,
                      kj::Vector<capnp::Orphan<idl::AdminAudit>>* entries, bool* truncated);

}  // namespace triad::common
