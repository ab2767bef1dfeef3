#include "utilities/firm/account_reads.h"

#include <sodium.h>

#include "utilities/common/tables.h"
#include "utilities/firm/book_accounts.h"
#include "utilities/firm/position_math.h"

namespace triad::firm {
namespace {

// An Argon2id hash of a secret nobody holds, at the default cost, checked
// when the account is unknown so that the answer takes as long as for a
// wrong secret.
constexpr const char* kNoAccountHash =
    "$argon2id$v=19$m=65536,t=2,p=1$LR6n88XtDRo4hSSJBaomcQ$"
    "px9YqX78Z3/Wy/8S3eHPJa4ErjKhrAZzaAMEjNEdDQ0";

Error refusedLogin() {
  return Error::refused(idl::ErrorCode::UNAUTHENTICATED, "unknown account or wrong secret");
}

bool secretMatches(const char* hash, std::string_view secret) {
  return crypto_pwhash_str_verify(hash, secret.data(), secret.size()) == 0;
}

std::string text(capnp::Text::Reader reader) { return {reader.begin(), reader.size()}; }

// Key components cannot hold a NUL byte; such a name can name nothing.
bool keyable(std::string_view name) { return name.find('\0') == std::string_view::npos; }

Error noAccount(std::string_view account) {
  return Error::refused(idl::ErrorCode::NOT_FOUND, "no account '" + std::string(account) + "'");
}

}  // namespace

Result<CashBalance> balanceOf(bdb::OwnershipGroup& firm, std::string_view account,
                              std::string_view currency) {
  if (!keyable(account)) return noAccount(account);
  if (!keyable(currency)) {
    return Error::refused(idl::ErrorCode::INVALID_ARGUMENT, "currency contains a NUL byte");
  }
  bdb::Record<idl::Account> known;
  bdb::Status s = tables::kAccounts.get(firm, bdb::Key::of(account), &known);
  if (s.isNotFound()) return noAccount(account);
  if (!s.isOk()) return Error::fromStorage(std::move(s));

  bdb::Record<idl::Balance> balance;
  s = tables::kBalances.get(firm, balanceKey(account, currency), &balance);
  if (s.isNotFound()) return CashBalance{};
  if (!s.isOk()) return Error::fromStorage(std::move(s));
  return CashBalance{balance->getTradeDateMicros(), balance->getSettledMicros()};
}

Result<std::vector<PositionSummary>> positionsOf(bdb::OwnershipGroup& firm,
                                                 std::string_view account) {
  if (!keyable(account)) return noAccount(account);
  const bdb::Key prefix = bdb::Key().add(account);
  std::vector<PositionSummary> positions;
  bdb::Status s = tables::kPositions.scan(
      firm, prefix.view(), [&](std::string_view key, idl::Position::Reader position) {
        if (!key.starts_with(prefix.view())) return false;
        const PositionState state{position.getQuantity(), position.getCostBasisMicros(),
                                  position.getRealisedPnlMicros()};
        positions.push_back(PositionSummary{text(position.getSymbol()), state.quantity,
                                            state.costBasisMicros, averageCostMicros(state),
                                            state.realisedPnlMicros});
        return true;
      });
  if (!s.isOk()) return Error::fromStorage(std::move(s));
  return positions;
}

Result<> authenticate(bdb::OwnershipGroup& firm, std::string_view account,
                      std::string_view secret) {
  if (sodium_init() < 0) {
    return Error::refused(idl::ErrorCode::INTERNAL, "libsodium could not be initialised");
  }
  bdb::Record<idl::Account> record;
  bdb::Status s = keyable(account) ? tables::kAccounts.get(firm, bdb::Key::of(account), &record)
                                   : bdb::Status::notFound("unkeyable account id");
  if (s.isNotFound()) {
    (void)secretMatches(kNoAccountHash, secret);
    return refusedLogin();
  }
  if (!s.isOk()) return Error::fromStorage(std::move(s));
  const std::string hash = text(record->getSecretHash());
  if (!secretMatches(hash.c_str(), secret)) return refusedLogin();
  if (record->getDisabled()) {
    return Error::refused(idl::ErrorCode::UNAUTHENTICATED,
                          "account '" + std::string(account) + "' is disabled");
  }
  return Result<>();
}

}  // namespace triad::firm
