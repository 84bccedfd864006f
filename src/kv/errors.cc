#include "kv/errors.h"

namespace cairn::kv {
namespace {

// Indexed by KvError; the static_assert below keeps the two in step.
constexpr KvErrorInfo kTable[] = {
    {Code::kInvalidArgument, "etcdserver: key is not provided"},
    {Code::kInvalidArgument, "etcdserver: key not found"},
    {Code::kInvalidArgument, "etcdserver: value is provided"},
    {Code::kInvalidArgument, "etcdserver: lease is provided"},
    {Code::kInvalidArgument, "etcdserver: too many operations in txn request"},
    {Code::kInvalidArgument, "etcdserver: duplicate key given in txn request"},
    {Code::kOutOfRange, "etcdserver: mvcc: required revision has been compacted"},
    {Code::kOutOfRange, "etcdserver: mvcc: required revision is a future revision"},
    {Code::kInvalidArgument, "cairn: unknown sort_target"},
    {Code::kNotFound, "etcdserver: requested lease not found"},
    {Code::kFailedPrecondition, "etcdserver: lease already exists"},
    {Code::kOutOfRange, "etcdserver: too large lease TTL"},
    {Code::kResourceExhausted, "etcdserver: mvcc: database space exceeded"},
    {Code::kDataLoss, "etcdserver: corrupt cluster"},
};
static_assert(sizeof(kTable) / sizeof(kTable[0]) == static_cast<size_t>(KvError::kCorrupt) + 1);

}  // namespace

const KvErrorInfo& ErrorInfo(KvError error) {
  return kTable[static_cast<size_t>(error)];
}

Status KvStatus(KvError error) {
  const KvErrorInfo& info = ErrorInfo(error);
  return Status(info.code, info.message);
}

}  // namespace cairn::kv
