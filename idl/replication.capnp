@0xfc6c9f82312c6ed0;
# The replication transport's wire (DESIGN §2a, bdb/replication_transport.h):
# what one site sends another over their one connection. Each ZeroMQ message
# is one ReplicationBatch: everything that was waiting for that peer when a
# permanent or no-buffer Berkeley DB message (or the 1 ms bound) sent it.
# Berkeley DB's own messages travel opaque: Triad owns only the transport.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("triad::idl");

struct ReplicationBatch {
  messages @0 :List(ReplicationMessage);
}

struct ReplicationMessage {
  group @0 :UInt16;              # the owning utility's group-index (topology)
  union {
    berkeleyDb @1 :BerkeleyDbMessage;  # for rep_process_message of that group
    ack @2 :ReplicationLsn;      # the sender has the group's log to here on its disk
    heartbeat @3 :Void;          # nothing else to send for a while (group unused)
  }
}

struct BerkeleyDbMessage {
  control @0 :Data;              # the control DBT Berkeley DB gave the send function
  record @1 :Data;               # the record DBT (may be empty)
}

struct ReplicationLsn {
  file @0 :UInt32;
  offset @1 :UInt32;
}
