#include "tools/triad-site/site_console.h"

#include <capnp/message.h>
#include <capnp/serialize-text.h>

#include <charconv>
#include <chrono>
#include <optional>
#include <ostream>

#include "idl/records.capnp.h"
#include "utilities/common/group_schema.h"

namespace triad::tools {
namespace {

// Splits off the first space-separated word of `text`.
std::string_view nextWord(std::string_view& text) {
  size_t start = text.find_first_not_of(' ');
  if (start == std::string_view::npos) {
    text = {};
    return {};
  }
  text.remove_prefix(start);
  size_t end = text.find(' ');
  std::string_view word = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end);
  return word;
}

std::optional<uint64_t> number(std::string_view word) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (ec != std::errc() || end != word.data() + word.size()) return std::nullopt;
  return value;
}

void answer(std::ostream& out, const bdb::Status& status) {
  if (status.isOk()) {
    out << "ok\n";
  } else {
    out << "error " << status.toString() << "\n";
  }
}

}  // namespace

bool SiteConsole::run(std::string_view line, std::ostream& out) {
  std::string_view args = line;
  std::string_view command = nextWord(args);
  if (command.empty()) {
    out << "error InvalidArgument: empty command\n";
  } else if (command == "quit") {
    out << "ok\n";
    return false;
  } else if (command == "put") {
    put(args, out);
  } else if (command == "get") {
    get(args, out);
  } else if (command == "count") {
    count(args, out);
  } else if (command == "fill") {
    fill(args, out);
  } else if (command == "wait") {
    wait(args, out);
  } else if (command == "ready") {
    ready(args, out);
  } else if (command == "status") {
    status(out);
  } else if (command == "checkpoint") {
    checkpoint(out);
  } else {
    out << "error InvalidArgument: unknown command '" << command << "'\n";
  }
  out.flush();
  return true;
}

void SiteConsole::put(std::string_view args, std::ostream& out) {
  std::string_view groupId = nextWord(args);
  std::string_view table = nextWord(args);
  std::string_view key = nextWord(args);
  const topology::Utility* owner = topology_.findUtility(groupId);
  bdb::OwnershipGroup* group = storage_.group(groupId);
  if (owner == nullptr || group == nullptr) {
    out << "error InvalidArgument: no group '" << groupId << "'\n";
    return;
  }
  std::optional<common::TableSchema> schema = common::findTable(owner->role, table);
  if (!schema || key.empty()) {
    out << "error InvalidArgument: usage: put <group> <table> <key> <record>\n";
    return;
  }
  capnp::MallocMessageBuilder message;
  const std::string text(args);
  try {
    capnp::TextCodec codec;
    codec.decode(text, message.initRoot<capnp::DynamicStruct>(schema->record));
  } catch (const kj::Exception& e) {
    out << "error InvalidArgument: not a " << schema->record.getShortDisplayName().cStr() << ": "
        << e.getDescription().cStr() << "\n";
    return;
  }
  answer(out, group->write(
                  [&](bdb::WriteTxn& txn) { return txn.put(table, bdb::Key::of(key), message); }));
}

void SiteConsole::get(std::string_view args, std::ostream& out) {
  std::string_view groupId = nextWord(args);
  std::string_view table = nextWord(args);
  std::string_view key = nextWord(args);
  const topology::Utility* owner = topology_.findUtility(groupId);
  bdb::OwnershipGroup* group = storage_.group(groupId);
  std::optional<common::TableSchema> schema =
      owner != nullptr ? common::findTable(owner->role, table) : std::nullopt;
  if (group == nullptr || !schema) {
    out << "error InvalidArgument: usage: get <group> <table> <key>\n";
    return;
  }
  bdb::Value value;
  bdb::Status s = group->get(table, bdb::Key::of(key), &value);
  if (!s.isOk()) return answer(out, s);
  capnp::FlatArrayMessageReader reader(
      kj::arrayPtr(reinterpret_cast<const capnp::word*>(value.bytes().data()),
                   value.bytes().size() / sizeof(capnp::word)));
  capnp::TextCodec codec;
  out << "ok " << codec.encode(reader.getRoot<capnp::DynamicStruct>(schema->record)).cStr() << "\n";
}

void SiteConsole::count(std::string_view args, std::ostream& out) {
  std::string_view groupId = nextWord(args);
  std::string_view table = nextWord(args);
  bdb::OwnershipGroup* group = storage_.group(groupId);
  if (group == nullptr) {
    out << "error InvalidArgument: no group '" << groupId << "'\n";
    return;
  }
  uint64_t records = 0;
  bdb::Status s = group->scan(table, "", [&](std::string_view, const bdb::Value&) {
    ++records;
    return true;
  });
  if (!s.isOk()) return answer(out, s);
  out << "ok " << records << "\n";
}

void SiteConsole::fill(std::string_view args, std::ostream& out) {
  std::string_view table = nextWord(args);
  std::string_view prefix = nextWord(args);
  std::optional<uint64_t> records = number(nextWord(args));
  std::optional<uint64_t> bytes = number(nextWord(args));
  if (table != "audit" || prefix.empty() || !records || !bytes) {
    out << "error InvalidArgument: usage: fill audit <key-prefix> <count> <bytes>\n";
    return;
  }
  const std::string padding(*bytes, 'x');
  for (uint64_t i = 0; i < *records; ++i) {
    capnp::MallocMessageBuilder message;
    auto audit = message.initRoot<idl::SessionAudit>();
    std::string id = std::string(prefix) + "-" + std::to_string(i);
    audit.setId(id);
    audit.setPeer(padding);
    bdb::Status s = storage_.owned().write(
        [&](bdb::WriteTxn& txn) { return txn.put(table, bdb::Key::of(id), message); });
    if (!s.isOk()) return answer(out, s);
  }
  out << "ok " << *records << "\n";
}

void SiteConsole::wait(std::string_view args, std::ostream& out) {
  bdb::OwnershipGroup* group = storage_.group(nextWord(args));
  std::optional<uint64_t> sequence = number(nextWord(args));
  std::optional<uint64_t> timeout = number(nextWord(args));
  if (group == nullptr || !sequence || !timeout) {
    out << "error InvalidArgument: usage: wait <group> <sequence> <timeout-ms>\n";
    return;
  }
  if (group->waitForCommit(*sequence, std::chrono::milliseconds(*timeout))) {
    out << "ok " << group->commitPosition().sequence << "\n";
  } else {
    out << "error Unavailable: group " << group->name() << " is at commit "
        << group->commitPosition().sequence << ", not " << *sequence << "\n";
  }
}

void SiteConsole::ready(std::string_view args, std::ostream& out) {
  std::optional<uint64_t> replicas = number(nextWord(args));
  std::optional<uint64_t> timeout = number(nextWord(args));
  if (!replicas || !timeout) {
    out << "error InvalidArgument: usage: ready <replicas> <timeout-ms>\n";
    return;
  }
  if (storage_.owned().waitForReplicas(*replicas, std::chrono::milliseconds(*timeout))) {
    out << "ok\n";
  } else {
    out << "error NotReplicated: fewer than " << *replicas << " replicas of " << storage_.site().id
        << " acknowledged within " << *timeout << " ms\n";
  }
}

void SiteConsole::status(std::ostream& out) {
  for (const auto& group : storage_.groups()) {
    bdb::ReplicationStatus status = group->status();
    out << "group " << status.group << " site=" << status.site
        << " role=" << bdb::roleName(status.role)
        << " master=" << (status.master.empty() ? "-" : status.master) << " lsn=" << status.lsn.file
        << "/" << status.lsn.offset << " commit=" << status.commit.sequence << " peers=";
    bool first = true;
    for (const bdb::PeerLink& peer : status.peers) {
      out << (first ? "" : ",") << peer.site << (peer.connected ? ":up" : ":down");
      first = false;
    }
    out << " perm-failures=" << status.permFailures << "\n";
  }
  out << "ok\n";
}

void SiteConsole::checkpoint(std::ostream& out) {
  answer(out, storage_.owned().checkpointAndArchive());
}

}  // namespace triad::tools
