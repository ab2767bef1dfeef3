#include "bdb/value.h"

#include <cstring>

namespace triad::bdb {

Status Value::fromBytes(std::string_view bytes, Value* value) {
  if (bytes.size() % sizeof(capnp::word) != 0 || bytes.empty()) {
    return Status::corruption("stored value of " + std::to_string(bytes.size()) +
                              " bytes is not a whole number of Cap'n Proto words");
  }
  auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  // Validate the segment table now, so a corrupt value is a Status here and
  // never an exception in a caller's business logic.
  if (capnp::expectedSizeInWordsFromPrefix(words) > words.size()) {
    return Status::corruption("stored value is truncated");
  }
  value->words_ = kj::mv(words);
  value->reader_.reset();
  return Status::ok();
}

capnp::MessageReader& Value::reader() const {
  if (!reader_) reader_ = std::make_unique<capnp::FlatArrayMessageReader>(words_.asPtr());
  return *reader_;
}

}  // namespace triad::bdb
