#include "utilities/common/group_schema.h"

#include "idl/records.capnp.h"

namespace triad::common {

using capnp::Schema;

const std::vector<TableSchema>& tablesFor(topology::Role role) {
  // Type 1: customer data.
  static const std::vector<TableSchema> customer = {
      {"orders", Schema::from<idl::Order>()},           // order id
      {"cancels", Schema::from<idl::CancelRequest>()},  // cancel request id
      {"client_orders", Schema::from<idl::Order>()},    // account, client order id
      {"audit", Schema::from<idl::SessionAudit>()},     // audit id
  };
  // Type 3: street data.
  static const std::vector<TableSchema> street = {
      {"routes", Schema::from<idl::Route>()},                // order id
      {"executions", Schema::from<idl::Execution>()},        // execution id
      {"venue_executions", Schema::from<idl::Execution>()},  // venue, venue exec id
      {"rejects", Schema::from<idl::Reject>()},              // reject id
      {"closures", Schema::from<idl::Closure>()},            // closure id
  };
  // Type 2: firm data.
  static const std::vector<TableSchema> firm = {
      {"accounts", Schema::from<idl::Account>()},         // account id
      {"balances", Schema::from<idl::Balance>()},         // account, currency
      {"positions", Schema::from<idl::Position>()},       // account, symbol
      {"ledger", Schema::from<idl::LedgerEntry>()},       // entry id
      {"bookings", Schema::from<idl::Booking>()},         // execution id
      {"settlements", Schema::from<idl::Settlement>()},   // settlement id
      {"halts", Schema::from<idl::Halt>()},               // symbol
      {"venue_routes", Schema::from<idl::VenueRoute>()},  // symbol
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

std::vector<std::string> tableNames(topology::Role role) {
  std::vector<std::string> names;
  for (const TableSchema& schema : tablesFor(role)) names.emplace_back(schema.name);
  return names;
}

}  // namespace triad::common
