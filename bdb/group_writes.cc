// Writing a group, at its owner (ownership_group.h, DESIGN §2a): group
// commit, the owner's own flush and the replicas' acknowledgements after
// the commit, sequences, and the refusals a write can meet.

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <thread>

#include "bdb/db_error.h"
#include "bdb/ownership_group_impl.h"
#include "idl/records.capnp.h"

namespace triad::bdb {

int commitCapturingLsn(DbTxn* txn, Lsn* committedAt);  // ownership_group.cc

namespace {

constexpr std::string_view kSequenceKey = "ids";
// Sequences are reserved this many at a time (WriteTxn::nextSequence).
constexpr uint64_t kSequenceBlock = 1024;

// The end of the sequence block the current transaction reserved, if any:
// it becomes usable once that transaction commits. Write callbacks run on the
// committing thread, so the commit path finds it here.
thread_local uint64_t tReservedThrough = 0;

}  // namespace

Status OwnershipGroupImpl::write(WriteFn fn, WriteMode mode) {
  Lsn committedAt;
  Status s = committer_
                 ? committer_->submit(std::move(fn), mode == WriteMode::kReplicated, &committedAt)
                 : writeDirect(fn, mode, &committedAt);
  if (!s.isOk() || committedAt.isZero()) return s;
  return awaitDurable(committedAt, mode);
}

Status OwnershipGroupImpl::replicaAvailable() {
  if (!owner_ || options_.ackPolicy == AckPolicy::kNone) return Status::ok();
  // Refuse rather than accept what would be on one disk only.
  if (connectedPeers() == 0) {
    return Status::notReplicated("no replica of group " + options_.group +
                                 " is connected; nothing was written");
  }
  if (acks_->stalled()) {
    return Status::notReplicated(
        "no replica of group " + options_.group + " has acknowledged anything for over " +
        std::to_string(options_.ackTimeout.count()) + " ms; nothing was written");
  }
  return Status::ok();
}

int OwnershipGroupImpl::commitTxn(DbTxn* txn, Lsn* committedAt) {
  const int ret = commitCapturingLsn(txn, committedAt);
  if (ret == 0) {
    commits_++;
    reservationCommitted();
    if (acks_ && !committedAt->isZero()) acks_->committed(*committedAt);
  }
  return ret;
}

Status OwnershipGroupImpl::awaitDurable(Lsn lsn, WriteMode mode) {
  // The replicas are applying this commit already (it left with its send);
  // this site's own flush runs meanwhile.
  DbLsn through{lsn.file, lsn.offset};
  if (int ret = env_->log_flush(&through); ret != 0) return fromDb(ret, "flushing the log");
  reached(lsn);
  if (options_.ackPolicy == AckPolicy::kNone) return Status::ok();
  if (mode == WriteMode::kLocalFirst && connectedPeers() == 0) {
    permFailures_++;
    return Status::notReplicated("committed at " + localSite_ + "; no replica of group " +
                                 options_.group + " is connected: it replicates when one is");
  }
  switch (acks_->await(lsn)) {
    case AckTracker::Wait::kAcknowledged:
      return Status::ok();
    case AckTracker::Wait::kTimedOut:
      permFailures_++;
      return Status::notReplicated("committed at " + localSite_ +
                                   " but no replica acknowledged within " +
                                   std::to_string(options_.ackTimeout.count()) + " ms");
    case AckTracker::Wait::kStalled:
      permFailures_++;
      return Status::notReplicated("committed at " + localSite_ + " but no replica of group " +
                                   options_.group + " has acknowledged anything for over " +
                                   std::to_string(options_.ackTimeout.count()) + " ms");
  }
  return Status::ok();
}

int OwnershipGroupImpl::beginTxn(DbTxn** txn) {
  // Replication takes short lockouts at the owner too; with
  // DB_REP_CONF_NOWAIT they come back as DB_REP_LOCKOUT. A writer waits them
  // out, up to a bound.
  const auto deadline = std::chrono::steady_clock::now() + options_.ackTimeout;
  for (;;) {
    int ret = env_->txn_begin(nullptr, txn, 0);
    if (ret != DB_REP_LOCKOUT || std::chrono::steady_clock::now() >= deadline) return ret;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// ---- One transaction per write (no group commit: the benchmark's baseline) ----

Status OwnershipGroupImpl::writeDirect(const WriteFn& fn, WriteMode mode, Lsn* committedAt) {
  for (int attempt = 0;; ++attempt) {
    Status s = writeDirectOnce(fn, mode, committedAt);
    if (s.code() != Status::Code::kConflict || attempt + 1 == kConflictRetries) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(1 + attempt));
  }
}

Status OwnershipGroupImpl::writeDirectOnce(const WriteFn& fn, WriteMode mode, Lsn* committedAt) {
  if (mode == WriteMode::kReplicated) {
    if (Status s = replicaAvailable(); !s.isOk()) return s;
  }
  if (Status s = checkFreeSpace(); !s.isOk()) return s;
  DbTxn* txn = nullptr;
  int ret = beginTxn(&txn);
  if (ret != 0) return refusedWrite(ret, "beginning a transaction");
  WriteTxn writeTxn(*this, txn);
  tReservedThrough = 0;
  Status s = fn(writeTxn);
  if (!s.isOk()) {
    txn->abort();
    return s;
  }
  ret = commitTxn(txn, committedAt);
  if (ret != 0) return refusedWrite(ret, "commit");
  return Status::ok();
}

// ---- Group commit ----

void OwnershipGroupImpl::commitBatch(std::span<PendingWrite* const> batch) {
  // Every write of the batch runs in the one transaction. One whose callback
  // fails is left out and the rest run again, in a new transaction: write
  // callbacks only write through their transaction, so running one again is
  // safe (WriteFn's contract), and a batch needs no nested transactions
  // (each would log a record of its own at every replica). A batch that lost
  // a deadlock is undone whole and run again.
  // Pace: while too many batches await their acknowledgements, wait for the
  // oldest (holding the leader's place, so the queue grows into this batch).
  if (acks_ && options_.batchesInFlight > 0) {
    while (!unacknowledged_.empty()) {
      const bool full = unacknowledged_.size() >= options_.batchesInFlight;
      const auto patience = full ? options_.ackTimeout : std::chrono::milliseconds(0);
      // Not acknowledged in time: its own callers say so; the pace goes on.
      if (!acks_->settle(unacknowledged_.front(), patience) && !full) break;
      unacknowledged_.pop_front();
    }
  }
  std::vector<bool> excluded(batch.size(), false);
  for (int attempt = 0;; ++attempt) {
    BatchOutcome outcome = commitBatchOnce(batch, &excluded);
    if (outcome == BatchOutcome::kDone) return;
    if (outcome == BatchOutcome::kConflict) {
      if (attempt + 1 == kConflictRetries) {
        for (size_t i = 0; i < batch.size(); ++i) {
          if (!excluded[i]) batch[i]->result = Status::conflict("the batch kept losing deadlocks");
        }
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1 + attempt));
    }
  }
}

OwnershipGroupImpl::BatchOutcome OwnershipGroupImpl::commitBatchOnce(
    std::span<PendingWrite* const> batch, std::vector<bool>* excluded) {
  auto failRest = [&](const Status& status) {
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!(*excluded)[i]) batch[i]->result = status;
    }
    return BatchOutcome::kDone;
  };
  if (Status s = checkFreeSpace(); !s.isOk()) return failRest(s);
  // A write that needs a replica is refused, nothing written, when none
  // could acknowledge it; the rest of the batch goes on.
  if (Status s = replicaAvailable(); !s.isOk()) {
    for (size_t i = 0; i < batch.size(); ++i) {
      if ((*excluded)[i] || !batch[i]->needsReplica) continue;
      batch[i]->result = s;
      (*excluded)[i] = true;
    }
  }
  DbTxn* txn = nullptr;
  int ret = beginTxn(&txn);
  if (ret != 0) return failRest(fromDb(ret, "beginning a transaction"));
  tReservedThrough = 0;
  size_t applied = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    if ((*excluded)[i]) continue;
    WriteTxn writeTxn(*this, txn);
    Status s = batch[i]->fn(writeTxn);
    if (s.isOk()) {
      ++applied;
      continue;
    }
    txn->abort();
    if (s.code() == Status::Code::kConflict) return BatchOutcome::kConflict;
    batch[i]->result = std::move(s);
    (*excluded)[i] = true;
    return BatchOutcome::kRerun;
  }
  if (applied == 0) {
    txn->abort();
    return BatchOutcome::kDone;
  }
  Lsn committedAt;
  ret = commitTxn(txn, &committedAt);
  const Status outcome = ret == 0 ? Status::ok() : fromDb(ret, "commit");
  for (size_t i = 0; i < batch.size(); ++i) {
    if ((*excluded)[i]) continue;
    batch[i]->result = outcome;
    batch[i]->committedAt = committedAt;
  }
  if (ret == 0 && !committedAt.isZero()) unacknowledged_.push_back(committedAt);
  return BatchOutcome::kDone;
}

// ---- Puts, deletes, refusals ----

Status OwnershipGroupImpl::refusedWrite(int ret, std::string_view what) {
  if (!owner_) {
    // Berkeley DB refuses writes at a replication client: that, not a check
    // of ours, is what keeps the group single-writer.
    return Status::notOwner("group " + options_.group + " is owned by " + options_.group + "; " +
                            localSite_ + " holds a read-only replica (" + std::string(what) +
                            " refused by Berkeley DB: " + describeDbError(ret) + ")");
  }
  return fromDb(ret, what);
}

Status OwnershipGroupImpl::putIn(DbTxn* txn, std::string_view table, const Key& key,
                                 capnp::MessageBuilder& message) {
  Db* db;
  Status s = tableHandle(table, &db);
  if (s.code() == Status::Code::kNotFound && !owner_) {
    return Status::notOwner("group " + options_.group + " is owned by " + options_.group + "; " +
                            localSite_ + " holds a read-only replica");
  }
  if (!s.isOk()) return s;
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  Dbt k(const_cast<char*>(key.bytes().data()), static_cast<u_int32_t>(key.bytes().size()));
  Dbt v(bytes.begin(), static_cast<u_int32_t>(bytes.size()));
  int ret = db->put(txn, &k, &v, 0);
  if (ret != 0) return refusedWrite(ret, "put into " + std::string(table));
  return Status::ok();
}

Status OwnershipGroupImpl::removeIn(DbTxn* txn, std::string_view table, const Key& key) {
  Db* db;
  if (Status s = tableHandle(table, &db); !s.isOk()) return s;
  Dbt k(const_cast<char*>(key.bytes().data()), static_cast<u_int32_t>(key.bytes().size()));
  int ret = db->del(txn, &k, 0);
  if (ret == DB_NOTFOUND) return Status::notFound("no such key");
  if (ret != 0) return refusedWrite(ret, "delete from " + std::string(table));
  return Status::ok();
}

Status OwnershipGroupImpl::checkFreeSpace() {
  if (!owner_ || options_.minFreeBytes == 0) return Status::ok();
  struct statvfs fs {};
  if (::statvfs(options_.home.c_str(), &fs) != 0) return Status::ok();  // cannot tell: try
  const uint64_t free = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (free >= options_.minFreeBytes) return Status::ok();
  return Status::diskFull("the disk of " + options_.home.string() + " has " +
                          std::to_string(free >> 10) + " KiB free, under the " +
                          std::to_string(options_.minFreeBytes >> 10) +
                          " KiB reserve; nothing was written");
}

// ---- Sequences ----

Status OwnershipGroupImpl::nextSequenceIn(DbTxn* txn, uint64_t* sequence) {
  if (!owner_) return refusedWrite(EACCES, "drawing a sequence number");
  std::lock_guard lock(sequenceMutex_);
  if (!sequenceLoaded_) {
    Value stored;
    Status s = getIn(txn, kMetaTable, Key::of(kSequenceKey), &stored);
    if (!s.isOk() && !s.isNotFound()) return s;
    reservedThrough_ = s.isOk() ? stored.as<idl::Counter>().getValue() : 0;
    nextId_ = reservedThrough_ + 1;
    sequenceLoaded_ = true;
  }
  if (nextId_ > std::max(reservedThrough_, tReservedThrough)) {
    const uint64_t end = nextId_ + kSequenceBlock - 1;
    capnp::MallocMessageBuilder message(8);
    message.initRoot<idl::Counter>().setValue(end);
    if (Status s = putIn(txn, kMetaTable, Key::of(kSequenceKey), message); !s.isOk()) return s;
    tReservedThrough = end;
  }
  *sequence = nextId_++;
  return Status::ok();
}

uint64_t OwnershipGroupImpl::lastSequence() {
  std::lock_guard lock(sequenceMutex_);
  return nextId_ - 1;
}

void OwnershipGroupImpl::reservationCommitted() {
  if (tReservedThrough == 0) return;
  std::lock_guard lock(sequenceMutex_);
  reservedThrough_ = std::max(reservedThrough_, tReservedThrough);
  tReservedThrough = 0;
}

// ---- Maintenance ----

Status OwnershipGroupImpl::probeReplication() {
  return write(
      [this](WriteTxn& txn) {
        capnp::MallocMessageBuilder message(16);
        auto probe = message.initRoot<idl::CommitMark>();
        probe.setCommittedAtNanos(nowNanos());
        probe.setOwner(localSite_);
        return txn.put(kMetaTable, Key::of("probe"), message);
      },
      WriteMode::kReplicated);
}

Status OwnershipGroupImpl::checkpointAndArchive() {
  int ret = env_->txn_checkpoint(0, 0, DB_FORCE);
  if (ret == 0) {
    char** removed = nullptr;
    ret = env_->log_archive(&removed, DB_ARCH_REMOVE);
    free(removed);
  }
  return ret == 0 ? Status::ok() : fromDb(ret, "checkpoint");
}

}  // namespace triad::bdb
