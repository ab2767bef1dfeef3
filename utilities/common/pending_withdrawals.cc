#include "utilities/common/pending_withdrawals.h"

#include "utilities/common/tables.h"

namespace triad::common {
namespace {

template <typename Source>
bdb::Status sumPending(Source& source, std::string_view account, std::string_view currency,
                       int64_t nowNanos, std::string_view except, int64_t* micros) {
  *micros = 0;
  return tables::kWithdrawalRequests.scanPrefix(
      source, bdb::Key().add(account), [&](idl::WithdrawalRequest::Reader request) {
        if (holdsCash(request, nowNanos) &&
            std::string_view(request.getCurrency().cStr()) == currency &&
            std::string_view(request.getId().cStr()) != except) {
          *micros += request.getAmountMicros();
        }
        return true;
      });
}

}  // namespace

bdb::Status pendingWithdrawalMicros(bdb::OwnershipGroup& firm, std::string_view account,
                                    std::string_view currency, int64_t nowNanos,
                                    std::string_view except, int64_t* micros) {
  return sumPending(firm, account, currency, nowNanos, except, micros);
}

bdb::Status pendingWithdrawalMicros(bdb::WriteTxn& txn, std::string_view account,
                                    std::string_view currency, int64_t nowNanos,
                                    std::string_view except, int64_t* micros) {
  return sumPending(txn, account, currency, nowNanos, except, micros);
}

}  // namespace triad::common
