// Which tables an ownership group holds, and the record type of each, by the
// role of the utility that owns it (DESIGN §2). Every site opens every group,
// so every site needs every group's schema. Keys are documented in
// docs/storage.md.

#pragma once

#include <capnp/schema.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/topology.h"
#include "bdb/ownership_group.h"

namespace triad::common {

struct TableSchema {
  std::string_view name;
  capnp::StructSchema record;  // the Cap'n Proto type of every value
  bdb::TableKind kind;
};

// The tables of a group owned by a utility of `role`.
const std::vector<TableSchema>& tablesFor(topology::Role role);

// The schema of `table` in a group owned by `role`, if it has one.
std::optional<TableSchema> findTable(topology::Role role, std::string_view table);

// What the group's storage is opened with: every table's name and kind.
std::vector<bdb::TableSpec> tableSpecs(topology::Role role);

}  // namespace triad::common
