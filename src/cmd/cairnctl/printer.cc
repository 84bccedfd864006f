#include "cmd/cairnctl/printer.h"

#include "cmd/cairnctl/proto_json.h"
#include "cmd/cairnctl/table.h"

namespace cairn::ctl {

Result<OutputFormat> ParseOutputFormat(const std::string& name) {
  if (name == "simple") return OutputFormat::kSimple;
  if (name == "json") return OutputFormat::kJson;
  if (name == "table") return OutputFormat::kTable;
  return Status(Code::kInvalidArgument,
                "unknown output format \"" + name + "\" (want simple, json or table)");
}

std::string SimpleKv(const mvccpb::KeyValue& kv) {
  return kv.key() + "\n" + kv.value() + "\n";
}

std::string SimpleRange(const etcdserverpb::RangeResponse& r) {
  std::string out;
  for (const mvccpb::KeyValue& kv : r.kvs())
    out += SimpleKv(kv);
  // --count-only answers with a count and no keys.
  if (r.kvs().empty() && r.count() > 0) out += std::to_string(r.count()) + "\n";
  return out;
}

std::string SimplePut(const etcdserverpb::PutResponse& r) {
  std::string out = "OK\n";
  if (r.has_prev_kv()) out += SimpleKv(r.prev_kv());
  return out;
}

std::string SimpleDelete(const etcdserverpb::DeleteRangeResponse& r) {
  std::string out = std::to_string(r.deleted()) + "\n";
  for (const mvccpb::KeyValue& kv : r.prev_kvs())
    out += SimpleKv(kv);
  return out;
}

std::string SimpleTxn(const etcdserverpb::TxnResponse& r) {
  std::string out = r.succeeded() ? "SUCCESS\n" : "FAILURE\n";
  for (const etcdserverpb::ResponseOp& op : r.responses()) {
    out += "\n";
    if (op.has_response_put())
      out += SimplePut(op.response_put());
    else if (op.has_response_range())
      out += SimpleRange(op.response_range());
    else if (op.has_response_delete_range())
      out += SimpleDelete(op.response_delete_range());
    else if (op.has_response_txn())
      out += SimpleTxn(op.response_txn());
  }
  return out;
}

std::string SimpleWatch(const etcdserverpb::WatchResponse& r) {
  std::string out;
  for (const mvccpb::Event& e : r.events()) {
    out += e.type() == mvccpb::Event::DELETE ? "DELETE\n" : "PUT\n";
    if (e.has_prev_kv()) out += SimpleKv(e.prev_kv());
    out += SimpleKv(e.kv());
  }
  return out;
}

namespace {

std::string JoinUrls(const google::protobuf::RepeatedPtrField<std::string>& urls) {
  std::string out;
  for (const std::string& u : urls)
    out += (out.empty() ? "" : ",") + u;
  return out;
}

}  // namespace

std::string SimpleMember(const etcdserverpb::Member& m) {
  // A member added but not yet started has no name.
  return HexId(m.id()) + ", " + (m.name().empty() ? "unstarted" : "started") + ", " + m.name() +
         ", " + JoinUrls(m.peerurls()) + ", " + JoinUrls(m.clienturls()) + ", " +
         (m.islearner() ? "true" : "false") + "\n";
}

std::string SimpleAlarms(const etcdserverpb::AlarmResponse& r) {
  std::string out;
  for (const etcdserverpb::AlarmMember& a : r.alarms())
    out += "memberID:" + std::to_string(a.memberid()) +
           " alarm:" + etcdserverpb::AlarmType_Name(a.alarm()) + "\n";
  return out;
}

std::string JsonLine(const google::protobuf::Message& message) {
  return ProtoToJson(message).dump() + "\n";
}

}  // namespace cairn::ctl
