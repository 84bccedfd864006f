#include "cluster/raft_codec.h"

#include <string>
#include <type_traits>
#include <utility>

namespace cairn::cluster {
namespace {

using raft::EntryType;
using raft::MessageType;

// Explicit tables rather than casts: the wire numbers are fixed forever,
// while the core's enum may be reordered, and -Wswitch flags a type added
// to the core but not here.
cairnpb::RaftMessageType MessageTypeToProto(MessageType t) {
  switch (t) {
    case MessageType::kPreVote:
      return cairnpb::MSG_PRE_VOTE;
    case MessageType::kPreVoteResp:
      return cairnpb::MSG_PRE_VOTE_RESP;
    case MessageType::kVote:
      return cairnpb::MSG_VOTE;
    case MessageType::kVoteResp:
      return cairnpb::MSG_VOTE_RESP;
    case MessageType::kApp:
      return cairnpb::MSG_APP;
    case MessageType::kAppResp:
      return cairnpb::MSG_APP_RESP;
    case MessageType::kHeartbeat:
      return cairnpb::MSG_HEARTBEAT;
    case MessageType::kHeartbeatResp:
      return cairnpb::MSG_HEARTBEAT_RESP;
    case MessageType::kSnapshot:
      return cairnpb::MSG_SNAPSHOT;
    case MessageType::kSnapshotResp:
      return cairnpb::MSG_SNAPSHOT_RESP;
    case MessageType::kTimeoutNow:
      return cairnpb::MSG_TIMEOUT_NOW;
    case MessageType::kReadIndex:
      return cairnpb::MSG_READ_INDEX;
    case MessageType::kReadIndexResp:
      return cairnpb::MSG_READ_INDEX_RESP;
  }
  return cairnpb::MSG_UNSPECIFIED;  // not a MessageType: the receiver refuses it
}

// Proto3 enums are open: the field holds whatever number arrived, so it is
// read as an int and anything outside the table is refused.
bool MessageTypeFromProto(int t, MessageType* out) {
  switch (t) {
    case cairnpb::MSG_PRE_VOTE:
      *out = MessageType::kPreVote;
      return true;
    case cairnpb::MSG_PRE_VOTE_RESP:
      *out = MessageType::kPreVoteResp;
      return true;
    case cairnpb::MSG_VOTE:
      *out = MessageType::kVote;
      return true;
    case cairnpb::MSG_VOTE_RESP:
      *out = MessageType::kVoteResp;
      return true;
    case cairnpb::MSG_APP:
      *out = MessageType::kApp;
      return true;
    case cairnpb::MSG_APP_RESP:
      *out = MessageType::kAppResp;
      return true;
    case cairnpb::MSG_HEARTBEAT:
      *out = MessageType::kHeartbeat;
      return true;
    case cairnpb::MSG_HEARTBEAT_RESP:
      *out = MessageType::kHeartbeatResp;
      return true;
    case cairnpb::MSG_SNAPSHOT:
      *out = MessageType::kSnapshot;
      return true;
    case cairnpb::MSG_SNAPSHOT_RESP:
      *out = MessageType::kSnapshotResp;
      return true;
    case cairnpb::MSG_TIMEOUT_NOW:
      *out = MessageType::kTimeoutNow;
      return true;
    case cairnpb::MSG_READ_INDEX:
      *out = MessageType::kReadIndex;
      return true;
    case cairnpb::MSG_READ_INDEX_RESP:
      *out = MessageType::kReadIndexResp;
      return true;
    default:
      return false;
  }
}

cairnpb::RaftEntryType EntryTypeToProto(EntryType t) {
  switch (t) {
    case EntryType::kNormal:
      return cairnpb::ENTRY_NORMAL;
    case EntryType::kConfChange:
      return cairnpb::ENTRY_CONF_CHANGE;
  }
  return static_cast<cairnpb::RaftEntryType>(-1);  // not an EntryType: refused
}

bool EntryTypeFromProto(int t, EntryType* out) {
  switch (t) {
    case cairnpb::ENTRY_NORMAL:
      *out = EntryType::kNormal;
      return true;
    case cairnpb::ENTRY_CONF_CHANGE:
      *out = EntryType::kConfChange;
      return true;
    default:
      return false;
  }
}

// Moves a string out of a source that is being consumed (not const),
// copies it otherwise.
template <typename S>
std::string Take(S& s) {
  if constexpr (std::is_const_v<S>) {
    return s;
  } else {
    return std::move(s);
  }
}

// The payload fields of a RaftMessage, writable when it is being consumed,
// so that Take can move them.
template <typename P>
auto& Entries(P& m) {
  if constexpr (std::is_const_v<P>) {
    return m.entries();
  } else {
    return *m.mutable_entries();
  }
}
template <typename P>
auto& Data(P& entry) {
  if constexpr (std::is_const_v<P>) {
    return entry.data();
  } else {
    return *entry.mutable_data();
  }
}
template <typename P>
auto& Chunk(P& m) {
  if constexpr (std::is_const_v<P>) {
    return m.snapshot_chunk();
  } else {
    return *m.mutable_snapshot_chunk();
  }
}

template <typename T>
void CopyIds(const T& from, std::vector<raft::NodeId>* to) {
  to->assign(from.begin(), from.end());
}

void ConfToProto(const raft::ConfState& in, cairnpb::RaftConfState* out) {
  out->mutable_voters()->Add(in.voters.begin(), in.voters.end());
  out->mutable_voters_outgoing()->Add(in.voters_outgoing.begin(), in.voters_outgoing.end());
  out->mutable_learners()->Add(in.learners.begin(), in.learners.end());
  out->mutable_learners_next()->Add(in.learners_next.begin(), in.learners_next.end());
  out->set_auto_leave(in.auto_leave);
}

// M is raft::Message or const raft::Message.
template <typename M>
void Encode(M& in, cairnpb::RaftMessage* out) {
  out->Clear();
  out->set_type(MessageTypeToProto(in.type));
  out->set_from(in.from);
  out->set_to(in.to);
  out->set_term(in.term);
  out->set_log_term(in.log_term);
  out->set_index(in.index);
  out->mutable_entries()->Reserve(static_cast<int>(in.entries.size()));
  for (auto& e : in.entries) {
    cairnpb::RaftEntry* pe = out->add_entries();
    pe->set_term(e.term);
    pe->set_index(e.index);
    pe->set_type(EntryTypeToProto(e.type));
    pe->set_data(Take(e.data));
  }
  out->set_commit(in.commit);
  out->set_reject(in.reject);
  out->set_reject_hint(in.reject_hint);
  out->set_hint_term(in.hint_term);
  out->set_lease_tick(in.lease_tick);
  out->set_read_round(in.read_round);
  out->set_context(in.context);
  out->set_force(in.force);
  // Only snapshot messages carry a snapshot; an empty sub-message on every
  // heartbeat would cost three bytes each.
  if (in.snapshot_meta != raft::SnapshotMeta{}) {
    cairnpb::RaftSnapshotMeta* meta = out->mutable_snapshot_meta();
    meta->set_index(in.snapshot_meta.index);
    meta->set_term(in.snapshot_meta.term);
    ConfToProto(in.snapshot_meta.conf, meta->mutable_conf());
  }
  out->set_snapshot_offset(in.snapshot_offset);
  out->set_snapshot_chunk(Take(in.snapshot_chunk));
  out->set_snapshot_done(in.snapshot_done);
}

// P is cairnpb::RaftMessage or const cairnpb::RaftMessage.
template <typename P>
Status Decode(P& in, raft::Message* out) {
  raft::Message m;
  if (!MessageTypeFromProto(in.type(), &m.type)) {
    return Status(Code::kInvalidArgument,
                  "unknown raft message type " + std::to_string(static_cast<int>(in.type())));
  }
  m.from = in.from();
  m.to = in.to();
  m.term = in.term();
  m.log_term = in.log_term();
  m.index = in.index();
  m.entries.reserve(static_cast<size_t>(in.entries_size()));
  for (auto& pe : Entries(in)) {
    raft::Entry& e = m.entries.emplace_back();
    if (!EntryTypeFromProto(pe.type(), &e.type)) {
      return Status(Code::kInvalidArgument, "entry " + std::to_string(pe.index()) +
                                                ": unknown raft entry type " +
                                                std::to_string(static_cast<int>(pe.type())));
    }
    e.term = pe.term();
    e.index = pe.index();
    e.data = Take(Data(pe));
  }
  m.commit = in.commit();
  m.reject = in.reject();
  m.reject_hint = in.reject_hint();
  m.hint_term = in.hint_term();
  m.lease_tick = in.lease_tick();
  m.read_round = in.read_round();
  m.context = in.context();
  m.force = in.force();
  if (in.has_snapshot_meta()) {
    const cairnpb::RaftSnapshotMeta& meta = in.snapshot_meta();
    m.snapshot_meta.index = meta.index();
    m.snapshot_meta.term = meta.term();
    const cairnpb::RaftConfState& conf = meta.conf();
    CopyIds(conf.voters(), &m.snapshot_meta.conf.voters);
    CopyIds(conf.voters_outgoing(), &m.snapshot_meta.conf.voters_outgoing);
    CopyIds(conf.learners(), &m.snapshot_meta.conf.learners);
    CopyIds(conf.learners_next(), &m.snapshot_meta.conf.learners_next);
    m.snapshot_meta.conf.auto_leave = conf.auto_leave();
  }
  m.snapshot_offset = in.snapshot_offset();
  m.snapshot_chunk = Take(Chunk(in));
  m.snapshot_done = in.snapshot_done();
  *out = std::move(m);
  return Status::Ok();
}

}  // namespace

void ToProto(const raft::Message& in, cairnpb::RaftMessage* out) {
  Encode(in, out);
}
void ToProto(raft::Message&& in, cairnpb::RaftMessage* out) {
  Encode(in, out);
}

Status FromProto(const cairnpb::RaftMessage& in, raft::Message* out) {
  return Decode(in, out);
}
Status FromProto(cairnpb::RaftMessage&& in, raft::Message* out) {
  return Decode(in, out);
}

}  // namespace cairn::cluster
