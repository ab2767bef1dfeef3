// Reading a group, at any site (ownership_group.h): table handles, point
// reads and scans. A replica reads what it has applied; while it is being
// re-initialised from its owner, reads answer ReplicaInitialising.
//
// A replica reads inside a read-committed transaction of its own. Berkeley
// DB 5.3 answers a read without a transaction that meets a replication
// lockout (internal initialisation, a rollback) by sleeping 5 s; inside a
// transaction it answers at once. A short lockout is ridden out; one that
// lasts longer than kLockoutPatience is ReplicaInitialising ("retry
// shortly"). The owner takes no lockouts but the brief ones of its own
// announcements, and reads without a transaction.

#include <thread>

#include "bdb/db_error.h"
#include "bdb/ownership_group_impl.h"

namespace triad::bdb {
namespace {

constexpr auto kLockoutPatience = std::chrono::milliseconds(500);
constexpr auto kLockoutPoll = std::chrono::milliseconds(2);

bool isLockout(int ret) {
  return ret == DB_REP_LOCKOUT || ret == DB_LOCK_DEADLOCK || ret == DB_LOCK_NOTGRANTED;
}

}  // namespace

int OwnershipGroupImpl::readInTxn(const std::function<int(DbTxn*)>& read,
                                  const std::function<bool()>& mayRepeat) {
  if (owner_) return read(nullptr);
  const auto deadline = std::chrono::steady_clock::now() + kLockoutPatience;
  for (;;) {
    DbTxn* txn = nullptr;
    int ret = env_->txn_begin(nullptr, &txn, DB_READ_COMMITTED);
    if (ret == 0) {
      ret = read(txn);
      if (ret == 0 || ret == DB_NOTFOUND || ret == DB_KEYEMPTY) {
        const int committed = txn->commit(0);
        return committed != 0 ? committed : ret;
      }
      txn->abort();
    }
    // A lockout (or the deadlock a reader is told during one) is waited out
    // a little; one that outlasts the patience is a re-initialisation. A
    // read that already handed records to its caller is not run again here:
    // the caller is told Conflict and starts over.
    if (!isLockout(ret) || !mayRepeat()) return ret;
    if (std::chrono::steady_clock::now() >= deadline) return DB_REP_LOCKOUT;
    std::this_thread::sleep_for(kLockoutPoll);
  }
}

std::optional<TableKind> OwnershipGroupImpl::tableKind(std::string_view table) const {
  if (table == kMetaTable) return TableKind::kOrdered;
  for (const TableSpec& spec : options_.tables) {
    if (spec.name == table) return spec.kind;
  }
  return std::nullopt;
}

Status OwnershipGroupImpl::tableHandle(std::string_view table, Db** db) {
  std::lock_guard lock(tablesMutex_);
  if (auto it = tables_.find(table); it != tables_.end()) {
    *db = it->second.get();
    return Status::ok();
  }
  const std::optional<TableKind> kind = tableKind(table);
  if (!kind) {
    return Status::invalidArgument("group " + options_.group + " has no table '" +
                                   std::string(table) + "'");
  }
  const std::string file = std::string(table) + ".db";
  auto notReplicated = [&] {
    return Status::notFound("table " + std::string(table) + " of group " + options_.group +
                            " has not replicated to " + localSite_ + " yet");
  };
  // A client answers a table that has not replicated without asking Berkeley
  // DB: its open of a missing file can sleep 5 s when it meets the lockout
  // of an internal initialisation, as every new replica's first join is
  // (docs/decisions.md, "Readers during internal initialisation").
  std::error_code error;
  if (!owner_ && !std::filesystem::exists(options_.home / file, error)) return notReplicated();
  std::unique_ptr<Db, DbCloser> handle;
  const DBTYPE type = *kind == TableKind::kHashed ? DB_HASH : DB_BTREE;
  int ret = 0;
  if (owner_) {
    // Only the owner creates. Creating a table can lose a deadlock to
    // replication's own work: the victim retries.
    for (int attempt = 0; attempt < kConflictRetries; ++attempt) {
      handle.reset(new Db(env_.get(), DB_CXX_NO_EXCEPTIONS));
      ret = handle->open(nullptr, file.c_str(), nullptr, type,
                         DB_THREAD | DB_AUTO_COMMIT | DB_CREATE, 0600);
      if (ret != DB_LOCK_DEADLOCK && ret != DB_LOCK_NOTGRANTED) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1 + attempt));
    }
  } else {
    // A client opens what has replicated to it, in a transaction (see above).
    ret = readInTxn(
        [&](DbTxn* txn) {
          handle.reset(new Db(env_.get(), DB_CXX_NO_EXCEPTIONS));
          return handle->open(txn, file.c_str(), nullptr, type, DB_THREAD, 0600);
        },
        [] { return true; });
  }
  if (ret == ENOENT) return notReplicated();
  if (ret != 0) return fromDb(ret, "opening table " + std::string(table));
  *db = handle.get();
  tables_.emplace(std::string(table), std::move(handle));
  return Status::ok();
}

void OwnershipGroupImpl::dropAllHandles() {
  std::lock_guard lock(tablesMutex_);
  tables_.clear();
}

Status OwnershipGroupImpl::getIn(DbTxn* txn, std::string_view table, const Key& key, Value* value) {
  Db* db;
  if (Status s = tableHandle(table, &db); !s.isOk()) return s;
  Dbt k(const_cast<char*>(key.bytes().data()), static_cast<u_int32_t>(key.bytes().size()));
  Dbt v;
  v.set_flags(DB_DBT_MALLOC);
  int ret = db->get(txn, &k, &v, 0);
  if (ret == DB_NOTFOUND || ret == DB_KEYEMPTY) return Status::notFound("no such key");
  if (ret != 0) return fromDb(ret, "reading " + std::string(table));
  Status s = Value::fromBytes({static_cast<const char*>(v.get_data()), v.get_size()}, value);
  free(v.get_data());
  return s;
}

Status OwnershipGroupImpl::scanIn(DbTxn* txn, std::string_view table, std::string_view fromKey,
                                  const VisitFn& visit) {
  if (tableKind(table) == TableKind::kHashed && !fromKey.empty()) {
    return Status::invalidArgument("table " + std::string(table) +
                                   " is hashed: it is scanned whole, not from a key");
  }
  Db* db;
  if (Status s = tableHandle(table, &db); !s.isOk()) return s;
  bool visited = false;
  Status s = Status::ok();
  int ret = scanOnce(db, txn, fromKey, visit, &visited, &s);
  if (!s.isOk()) return s;
  if (ret != 0 && ret != DB_NOTFOUND) return fromDb(ret, "scanning " + std::string(table));
  return Status::ok();
}

Status OwnershipGroupImpl::get(std::string_view table, const Key& key, Value* value) {
  Db* db;
  if (Status s = tableHandle(table, &db); !s.isOk()) return s;
  Dbt k(const_cast<char*>(key.bytes().data()), static_cast<u_int32_t>(key.bytes().size()));
  Dbt v;
  v.set_flags(DB_DBT_MALLOC);
  auto read = [&](DbTxn* txn) { return db->get(txn, &k, &v, 0); };
  int ret = readInTxn(read, [] { return true; });
  if (ret == DB_REP_HANDLE_DEAD) {
    // Internal initialisation replaced the table under its handle.
    dropAllHandles();
    if (Status s = tableHandle(table, &db); !s.isOk()) return s;
    ret = readInTxn(read, [] { return true; });
  }
  if (ret == DB_NOTFOUND || ret == DB_KEYEMPTY) return Status::notFound("no such key");
  if (ret != 0) return fromDb(ret, "reading " + std::string(table));
  Status s = Value::fromBytes({static_cast<const char*>(v.get_data()), v.get_size()}, value);
  free(v.get_data());
  return s;
}

Status OwnershipGroupImpl::scan(std::string_view table, std::string_view fromKey,
                                const VisitFn& visit) {
  if (tableKind(table) == TableKind::kHashed && !fromKey.empty()) {
    return Status::invalidArgument("table " + std::string(table) +
                                   " is hashed: it is scanned whole, not from a key");
  }
  Db* db;
  Status s = tableHandle(table, &db);
  if (s.isNotFound()) return Status::ok();  // not replicated yet: nothing to visit
  if (!s.isOk()) return s;
  for (int attempt = 0;; ++attempt) {
    bool visited = false;
    int ret = readInTxn([&](DbTxn* txn) { return scanOnce(db, txn, fromKey, visit, &visited, &s); },
                        [&] { return !visited; });
    if (!s.isOk()) return s;
    if (ret == DB_REP_HANDLE_DEAD && !visited && attempt == 0) {
      dropAllHandles();
      if (Status reopened = tableHandle(table, &db); !reopened.isOk()) return reopened;
      continue;
    }
    if (ret != 0 && ret != DB_NOTFOUND) return fromDb(ret, "scanning " + std::string(table));
    return Status::ok();
  }
}

int OwnershipGroupImpl::scanOnce(Db* db, DbTxn* txn, std::string_view fromKey, const VisitFn& visit,
                                 bool* visited, Status* status) {
  Dbc* cursor = nullptr;
  int ret = db->cursor(txn, &cursor, 0);
  if (ret != 0) return ret;
  // DB_SET_RANGE replaces the key buffer with the key found: give it one
  // Berkeley DB may reallocate.
  Dbt k;
  k.set_flags(DB_DBT_REALLOC);
  void* start = malloc(fromKey.empty() ? 1 : fromKey.size());
  // An empty view may have a null data(): memcpy from null is undefined.
  if (!fromKey.empty()) memcpy(start, fromKey.data(), fromKey.size());
  k.set_data(start);
  k.set_size(static_cast<u_int32_t>(fromKey.size()));
  Dbt v;
  v.set_flags(DB_DBT_REALLOC);
  ret = cursor->get(&k, &v, fromKey.empty() ? DB_FIRST : DB_SET_RANGE);
  while (ret == 0) {
    Value value;
    *status = Value::fromBytes({static_cast<const char*>(v.get_data()), v.get_size()}, &value);
    if (!status->isOk()) break;
    *visited = true;
    if (!visit({static_cast<const char*>(k.get_data()), k.get_size()}, value)) break;
    ret = cursor->get(&k, &v, DB_NEXT);
  }
  cursor->close();
  free(k.get_data());
  free(v.get_data());
  return ret;
}

}  // namespace triad::bdb
