#include "utilities/firm/firm_role.h"

#include <kj/debug.h>

#include "utilities/firm/firm_admin.h"

namespace triad::firm {

FirmRole::FirmRole(common::DaemonContext& context) : DaemonRole(context) {
  KJ_REQUIRE(context.storage != nullptr && context.utility != nullptr &&
                 context.utility->role == topology::Role::kFirm,
             "triad-firmd runs the firm utility only", context.options.id);
  Result<std::unique_ptr<Books>> opened = Books::open(context.storage->owned(), BooksOptions{});
  if (!opened.isOk()) {
    KJ_FAIL_REQUIRE("cannot open the firm's books", opened.toString());
  }
  books_ = std::move(opened).value();
  context.logger.info("books-open", {{"group", context.storage->owned().name()}});
}

kj::Own<common::AdminServer> FirmRole::makeAdmin() {
  return kj::heap<FirmAdmin>(context().identity, *context().storage, context().health,
                             FirmAdmin::Parts{.books = *books_,
                                              .topology = context().topology,
                                              .logger = context().logger,
                                              .nowNanos = {}});
}

}  // namespace triad::firm
