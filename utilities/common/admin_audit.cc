#include "utilities/common/admin_audit.h"

#include <deque>
#include <string>

#include "bdb/key.h"
#include "utilities/common/tables.h"

namespace triad::common {
namespace {

capnp::Text::Reader text(std::string_view s) { return capnp::Text::Reader(s.data(), s.size()); }

// At most `max` bytes of a field the caller wrote, saying how long it was.
std::string clip(std::string_view field, size_t max) {
  if (field.size() <= max) return std::string(field);
  return std::string(field.substr(0, max)) + "... (" + std::to_string(field.size()) + " bytes)";
}

bdb::Key auditKey(int64_t atNanos, std::string_view id) {
  return bdb::Key().addU64(static_cast<uint64_t>(atNanos)).add(id);
}

}  // namespace

bdb::Status putAuditEntry(bdb::WriteTxn& txn, const AuditStamp& stamp, bool ok,
                          std::string_view errorCode, std::string_view reason) {
  capnp::MallocMessageBuilder message;
  auto entry = message.initRoot<idl::AdminAudit>();
  entry.setId(text(stamp.id));
  entry.setAtNanos(stamp.atNanos);
  entry.setOperatorName(text(stamp.operatorName));
  entry.setPeer(text(stamp.peer));
  entry.setCall(text(stamp.call));
  entry.setArguments(clip(stamp.arguments, 4096));
  entry.setAccount(clip(stamp.account, 128));
  entry.setSymbol(clip(stamp.symbol, 128));
  entry.setOk(ok);
  entry.setErrorCode(text(errorCode));
  entry.setDetail(clip(ok ? std::string_view(stamp.detail) : reason, 1024));
  entry.setPostingId(text(stamp.postingId));
  entry.setRequestId(text(stamp.requestId));
  entry.setSite(text(stamp.site));
  return tables::kAdminAudit.put(txn, auditKey(stamp.atNanos, stamp.id), message);
}

bdb::Status readAudit(bdb::OwnershipGroup& group, idl::AuditFilter::Reader filter,
                      capnp::MessageBuilder& scratch,
                      kj::Vector<capnp::Orphan<idl::AdminAudit>>* entries, bool* truncated) {
  const size_t limit = filter.getLimit() == 0 ? 1000 : filter.getLimit();
  const int64_t from = filter.getFromNanos();
  const int64_t to = filter.getToNanos();
  const bdb::Key start = bdb::Key().addU64(static_cast<uint64_t>(from < 0 ? 0 : from));
  std::deque<capnp::Orphan<idl::AdminAudit>> kept;
  *truncated = false;
  bdb::Status s = tables::kAdminAudit.scan(
      group, start.view(), [&](std::string_view, idl::AdminAudit::Reader entry) {
        if (to != 0 && entry.getAtNanos() > to) return false;
        if (filter.getOperatorName().size() > 0 &&
            entry.getOperatorName() != filter.getOperatorName()) {
          return true;
        }
        if (filter.getAccount().size() > 0 && entry.getAccount() != filter.getAccount()) {
          return true;
        }
        if (filter.getCall().size() > 0 && entry.getCall() != filter.getCall()) return true;
        kept.push_back(scratch.getOrphanage().newOrphanCopy(entry));
        if (kept.size() > limit) {
          kept.pop_front();
          *truncated = true;
        }
        return true;
      });
  for (auto& entry : kept) entries->add(kj::mv(entry));
  return s;
}

}  // namespace triad::common
