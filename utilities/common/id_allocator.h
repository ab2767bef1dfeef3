// Global record identifiers that name their owner: "cf2-000000123" (DESIGN
// §2). The counter lives in the owner's group (_meta/ids) and is advanced in
// the same transaction as the record it names, so an id is never reused,
// even across restarts; an aborted write leaves a harmless gap.

#pragma once

#include <string>
#include <string_view>

#include "bdb/ownership_group.h"

namespace triad::common {

// Allocates the next id of group `owner`. REQUIRES: txn is a write on the
// group `owner` owns.
bdb::Status allocateId(bdb::WriteTxn& txn, std::string_view owner, std::string* id);

// The owning utility of an id ("cf2" for "cf2-000000123"); empty if malformed.
std::string_view ownerOf(std::string_view id);

}  // namespace triad::common
