#include "brokers/bus_wire.h"

#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <kj/exception.h>

#include <cstring>
#include <exception>

namespace triad::brokers {
namespace {

// Most envelopes (one record) fit in one first segment of this size, so
// encoding allocates once.
constexpr uint kFirstSegmentWords = 256;

void copyText(std::string_view from, capnp::Text::Builder to) {
  if (!from.empty()) std::memcpy(to.begin(), from.data(), from.size());
}

// Follows every pointer reachable from `value` and reads every text, so that
// Cap'n Proto's bounds and NUL checks run now, inside decodeEnvelope's try,
// rather than later in a consumer that reads the field.
void touchEverything(capnp::DynamicValue::Reader value) {
  switch (value.getType()) {
    case capnp::DynamicValue::STRUCT: {
      capnp::DynamicStruct::Reader record = value.as<capnp::DynamicStruct>();
      for (capnp::StructSchema::Field field : record.getSchema().getNonUnionFields()) {
        touchEverything(record.get(field));
      }
      KJ_IF_MAYBE (field, record.which()) {
        touchEverything(record.get(*field));
      }
      break;
    }
    case capnp::DynamicValue::LIST:
      for (capnp::DynamicValue::Reader element : value.as<capnp::DynamicList>()) {
        touchEverything(element);
      }
      break;
    default:
      break;  // scalars, enums, text and data were checked when read by get()
  }
}

std::string describe(const kj::Exception& e) { return std::string(e.getDescription().cStr()); }

}  // namespace

kj::Array<capnp::word> encodeEnvelope(std::string_view topic, const EnvelopeStamp& stamp,
                                      RecordFiller fill) {
  capnp::MallocMessageBuilder message(kFirstSegmentWords);
  idl::Envelope::Builder envelope = message.initRoot<idl::Envelope>();
  copyText(topic, envelope.initTopic(topic.size()));
  copyText(stamp.origin, envelope.initOrigin(stamp.origin.size()));
  envelope.setIncarnation(stamp.incarnation);
  envelope.setSequence(stamp.sequence);
  envelope.setSentAtNanos(stamp.sentAtNanos);
  fill(envelope.initRecord());
  return capnp::messageToFlatArray(message);
}

std::string_view BusMessage::origin() const {
  capnp::Text::Reader origin = envelope_.getOrigin();
  return {origin.cStr(), origin.size()};
}

// Befriended by BusMessage, so that only decodeEnvelope makes one.
struct BusMessageDecoder {
  static std::variant<BusMessage, Malformed> decode(std::string_view topicFrame,
                                                    kj::ArrayPtr<const kj::byte> payload) {
    if (payload.size() == 0) return Malformed{"empty envelope frame"};
    if (payload.size() % sizeof(capnp::word) != 0) {
      return Malformed{"envelope frame of " + std::to_string(payload.size()) +
                       " bytes is not a whole number of 8-byte words"};
    }
    BusMessage message;
    message.topic_.assign(topicFrame);
    // A copy, because ZeroMQ frames are not word-aligned and the message must
    // outlive them.
    message.words_ = kj::heapArray<capnp::word>(payload.size() / sizeof(capnp::word));
    std::memcpy(message.words_.begin(), payload.begin(), payload.size());
    try {
      message.reader_ = std::make_unique<capnp::FlatArrayMessageReader>(message.words_.asPtr());
      if (message.reader_->getEnd() != message.words_.end()) {
        return Malformed{"envelope frame has bytes after the end of its message"};
      }
      message.envelope_ = message.reader_->getRoot<idl::Envelope>();
      touchEverything(capnp::toDynamic(message.envelope_));
    } catch (const kj::Exception& e) {
      return Malformed{"envelope does not decode: " + describe(e)};
    } catch (const std::exception& e) {
      return Malformed{std::string("envelope does not decode: ") + e.what()};
    }
    const idl::Envelope::Reader envelope = message.envelope_;
    if (envelope.getOrigin().size() == 0) return Malformed{"envelope has no origin"};
    const std::string from = "envelope from " + std::string(message.origin()) + " incarnation " +
                             std::to_string(envelope.getIncarnation());
    if (envelope.getSequence() == 0) return Malformed{from + " has sequence 0"};
    const capnp::Text::Reader topic = envelope.getTopic();
    if (std::string_view(topic.cStr(), topic.size()) != topicFrame) {
      return Malformed{from + " sequence " + std::to_string(envelope.getSequence()) +
                       " names topic '" + topic.cStr() + "' but was sent on topic '" +
                       std::string(topicFrame) + "'"};
    }
    return message;
  }
};

std::variant<BusMessage, Malformed> decodeEnvelope(std::string_view topicFrame,
                                                   kj::ArrayPtr<const kj::byte> payload) {
  return BusMessageDecoder::decode(topicFrame, payload);
}

}  // namespace triad::brokers
