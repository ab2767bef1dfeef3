// Withdrawals waiting for a second treasury operator (issue 17, four eyes):
// WithdrawalRequest records (idl/records.capnp) in the firm group's
// `withdrawal_requests` table, key (account, id). A pending request holds its
// cash until it is approved, rejected or expires: the firm's withdrawals and
// the customer utilities' buying power both treat it as already gone. An
// expired request is derived (pending past expiresAtNanos); nothing is
// written when it expires.
//
// Thread-safety: free functions; reads are snapshots of the group.

#pragma once

#include <cstdint>
#include <string_view>

#include "bdb/key.h"
#include "bdb/ownership_group.h"
#include "idl/records.capnp.h"

namespace triad::common {

inline bdb::Key withdrawalRequestKey(std::string_view account, std::string_view id) {
  return bdb::Key().add(account).add(id);
}

// Whether `request` holds cash at `nowNanos`: pending and not expired.
inline bool holdsCash(idl::WithdrawalRequest::Reader request, int64_t nowNanos) {
  return request.getState() == idl::WithdrawalRequest::State::PENDING &&
         request.getExpiresAtNanos() > nowNanos;
}

// The cash `account`'s pending requests in `currency` hold at `nowNanos`,
// but for request `except` (empty: none), from this site's copy of the firm
// group.
bdb::Status pendingWithdrawalMicros(bdb::OwnershipGroup& firm, std::string_view account,
                                    std::string_view currency, int64_t nowNanos,
                                    std::string_view except, int64_t* micros);
// The same inside a write transaction of the firm group.
bdb::Status pendingWithdrawalMicros(bdb::WriteTxn& txn, std::string_view account,
                                    std::string_view currency, int64_t nowNanos,
                                    std::string_view except, int64_t* micros);

}  // namespace triad::common
