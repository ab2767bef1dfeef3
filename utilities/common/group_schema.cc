#include "utilities/common/group_schema.h"

#include "utilities/common/tables.h"

namespace triad::common {

namespace {

// A table's schema entry, its record type taken from the typed table.
template <typename T>
TableSchema entry(const bdb::Table<T>& table) {
  return {table.name(), capnp::Schema::from<T>(), table.kind()};
}

}  // namespace

const std::vector<TableSchema>& tablesFor(topology::Role role) {
  // Type 1: customer data.
  static const std::vector<TableSchema> customer = {
      entry(tables::kOrders),
      entry(tables::kCancels),
      entry(tables::kClientOrders),
      entry(tables::kAudit),
  };
  // Type 3: street data.
  static const std::vector<TableSchema> street = {
      entry(tables::kRoutes),
      entry(tables::kExecutions),
      entry(tables::kRejects),
      entry(tables::kClosures),
      entry(tables::kRefusedReports),
  };
  // Type 2: firm data.
  static const std::vector<TableSchema> firm = {
      entry(tables::kAccounts),
      entry(tables::kBalances),
      entry(tables::kPositions),
      entry(tables::kBookings),
      entry(tables::kPostings),
      entry(tables::kCashReferences),
      entry(tables::kAssets),
      entry(tables::kHalts),
      entry(tables::kVenueRoutes),
      entry(tables::kAdminAudit),
      entry(tables::kWithdrawalRequests),
  };
  static const std::vector<TableSchema> none;
  switch (role) {
    case topology::Role::kCustomer:
      return customer;
    case topology::Role::kStreet:
      return street;
    case topology::Role::kFirm:
      return firm;
    case topology::Role::kBroker:
    case topology::Role::kExchange:
      return none;
  }
  return none;
}

std::optional<TableSchema> findTable(topology::Role role, std::string_view table) {
  for (const TableSchema& schema : tablesFor(role)) {
    if (schema.name == table) return schema;
  }
  return std::nullopt;
}

std::vector<bdb::TableSpec> tableSpecs(topology::Role role) {
  std::vector<bdb::TableSpec> specs;
  for (const TableSchema& schema : tablesFor(role)) {
    specs.push_back({std::string(schema.name), schema.kind});
  }
  return specs;
}

}  // namespace triad::common
