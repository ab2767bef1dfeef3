// The wire format of one bus message (see brokers/README.md):
//
//   frame 1: the topic, raw bytes, no terminator. ZeroMQ subscriptions match
//            it by byte prefix.
//   frame 2: an idl::Envelope as a flat (unpacked) Cap'n Proto message: the
//            segment table followed by the segments, as written by
//            capnp::messageToFlatArray.
//
// Encoding is used by BusPublisher (and by tests that need to put arbitrary
// sequence numbers or broken frames on the wire); decoding by BusSubscriber.
// Decoding never throws: a frame that does not decode is a Malformed value.

#pragma once

#include <capnp/common.h>
#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/function.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "idl/bus.capnp.h"

namespace triad::brokers {

// What a publisher stamps on every envelope besides the topic and the record.
struct EnvelopeStamp {
  std::string origin;        // the publishing utility's id, e.g. "cf1"
  uint64_t incarnation = 0;  // changes when the publisher restarts
  uint64_t sequence = 0;     // 1, 2, 3... per (origin, incarnation, topic)
  int64_t sentAtNanos = 0;   // nanoseconds since the Unix epoch, UTC
};

using RecordFiller = kj::FunctionParam<void(idl::Envelope::Record::Builder)>;

// Builds frame 2 for `topic`: the envelope with `stamp`, and a record union
// filled by `fill`.
kj::Array<capnp::word> encodeEnvelope(std::string_view topic, const EnvelopeStamp& stamp,
                                      RecordFiller fill);

// One decoded bus message. It owns its bytes, so it can outlive the ZeroMQ
// frames it came from; moving it keeps envelope() valid.
//
// Every pointer in the envelope has been followed and every text checked once
// at decode time, so reading any field of envelope() cannot throw (short of
// reading the whole message over again some hundreds of times, which would
// exhaust Cap'n Proto's default traversal limit of 64 MiB per message).
class BusMessage {
 public:
  const std::string& topic() const { return topic_; }
  idl::Envelope::Reader envelope() const { return envelope_; }
  std::string_view origin() const;
  uint64_t incarnation() const { return envelope_.getIncarnation(); }
  uint64_t sequence() const { return envelope_.getSequence(); }

 private:
  friend struct BusMessageDecoder;
  BusMessage() = default;

  std::string topic_;
  kj::Array<capnp::word> words_;
  std::unique_ptr<capnp::FlatArrayMessageReader> reader_;  // reads words_
  idl::Envelope::Reader envelope_;                         // root of reader_
};

// A frame pair that is not a bus message. `reason` says what is wrong in words
// an operator can act on (which publisher to look at, if known).
struct Malformed {
  std::string reason;
  bool operator==(const Malformed&) const = default;
};

// Decodes a topic frame and an envelope frame. Checks, in order: the envelope
// is a whole number of words, is a well-formed Cap'n Proto message with no
// trailing bytes, every pointer and text in it is valid, its origin is not
// empty, its sequence is at least 1, and its topic equals the topic frame.
[[nodiscard]] std::variant<BusMessage, Malformed> decodeEnvelope(
    std::string_view topicFrame, kj::ArrayPtr<const kj::byte> payload);

}  // namespace triad::brokers
