#include "utilities/firm/posting.h"

#include "utilities/firm/book_accounts.h"

namespace triad::firm {

void fillPosting(idl::Posting::Builder posting, const PostingStamp& stamp,
                 std::initializer_list<PostingLeg> legs) {
  posting.setId(stamp.id);
  posting.setKind(stamp.kind);
  posting.setAtNanos(stamp.atNanos);
  posting.setTradeDate(stamp.tradeDate);
  posting.setExecutionId(stamp.executionId);
  posting.setSettledAccount(stamp.settledAccount);
  auto out = posting.initLegs(static_cast<unsigned>(legs.size()));
  unsigned i = 0;
  for (const PostingLeg& leg : legs) {
    auto built = out[i++];
    built.setAccount(capnp::Text::Reader(leg.account.data(), leg.account.size()));
    built.setAsset(capnp::Text::Reader(leg.asset.data(), leg.asset.size()));
    built.setAmount(leg.amount);
  }
}

int64_t settledAmount(idl::Posting::Reader settlement) {
  for (idl::Posting::Leg::Reader leg : settlement.getLegs()) {
    const capnp::Text::Reader account = leg.getAccount();
    if (std::string_view(account.begin(), account.size()) == kStreetBook) return leg.getAmount();
  }
  return 0;
}

std::string_view postingKindName(idl::Posting::Kind kind) {
  switch (kind) {
    case idl::Posting::Kind::TRADE:
      return "trade";
    case idl::Posting::Kind::FEE:
      return "fee";
    case idl::Posting::Kind::DEPOSIT:
      return "deposit";
    case idl::Posting::Kind::WITHDRAWAL:
      return "withdrawal";
    case idl::Posting::Kind::SETTLEMENT:
      return "settlement";
  }
  return "unknown";
}

}  // namespace triad::firm
