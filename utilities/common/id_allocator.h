// Global record identifiers that name their owner: "cf2-000000123" (DESIGN
// §2). The sequence is the group's (bdb::WriteTxn::nextSequence): reserved in
// blocks in the owner's group, so an id is never reused, even across
// restarts, and drawing one writes nothing but once per block; an aborted
// write or a restart leaves a harmless gap.

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bdb/ownership_group.h"

namespace triad::common {

// Allocates the next id of group `owner`, and gives its sequence number
// (123 for "cf2-000000123") if `sequence` is not null. REQUIRES: txn is a
// write on the group `owner` owns.
bdb::Status allocateId(bdb::WriteTxn& txn, std::string_view owner, std::string* id,
                       uint64_t* sequence = nullptr);

// The owning utility of an id ("cf2" for "cf2-000000123"); empty if malformed.
std::string_view ownerOf(std::string_view id);

// The sequence number of an id (123 for "cf2-000000123"); empty if malformed.
std::optional<uint64_t> sequenceOf(std::string_view id);

// The release mark of a customer utility's group (DESIGN §3 step 3): every
// order of the group whose sequence is at most the mark has been decided by
// its owner (accepted, or refused and withdrawn by a cancel request written
// before the mark). A street utility routes an order its owner has not
// announced on the bus only once the mark covers it, so an order refused as
// NOT_REPLICATED but replicated later is never seen without its withdrawal.
// The mark only grows; 0 before the first.
bdb::Status recordReleasedThrough(bdb::WriteTxn& txn, uint64_t sequence);
bdb::Status releasedThrough(bdb::OwnershipGroup& group, uint64_t* sequence);

}  // namespace triad::common
