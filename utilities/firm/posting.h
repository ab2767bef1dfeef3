// One posting of the firm's ledger as it is stored: an idl::Posting holding
// every leg, written as one record in the transaction that makes it
// (README.md: a trade under its execution id, a referenced deposit or
// withdrawal under its reference, any other under its id).

#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "idl/records.capnp.h"

namespace triad::firm {

struct PostingLeg {
  std::string_view account;  // a customer or a firm book (book_accounts.h)
  std::string_view asset;    // a currency or a symbol
  int64_t amount = 0;        // micros or shares, signed; a posting's legs sum to zero per asset
};

struct PostingStamp {
  std::string id;  // "firm-000000042"
  idl::Posting::Kind kind = idl::Posting::Kind::TRADE;
  int64_t atNanos = 0;
  int32_t tradeDate = 0;       // yyyymmdd
  std::string executionId;     // trade
  std::string settledAccount;  // settlement
};

// Writes `stamp` and `legs` into `posting`. REQUIRES: the legs sum to zero
// per asset (the callers' postings are built that way).
void fillPosting(idl::Posting::Builder posting, const PostingStamp& stamp,
                 std::initializer_list<PostingLeg> legs);

// What a settlement moved into its account's settled cash: its firm:street
// leg (the street book's obligation for those trades goes to zero).
int64_t settledAmount(idl::Posting::Reader settlement);

// "trade", "deposit", ...: for findings and refusals.
std::string_view postingKindName(idl::Posting::Kind kind);

}  // namespace triad::firm
