#pragma once

#include <vector>

#include "base/status.h"
#include "cairn/raft_request.pb.h"
#include "etcd/etcdserverpb/rpc.pb.h"
#include "kv/read_view.h"

namespace rocksdb {
class WriteBatchWithIndex;
}

// etcd's alarms (NOSPACE, CORRUPT) as replicated state of the group: they
// change only through committed AlarmRequests, live in the group's RocksDB
// next to the data (so a restart or a snapshot keeps them), and every
// replica refuses the same writes while one is raised.
namespace cairn::kv {

using Alarms = std::vector<etcdserverpb::AlarmMember>;

// Where the alarm list is stored: one metadata record, because the list is
// tiny and is read before every write (one Get, no iterator).
std::string MetaAlarmsKey();

// The raised alarms, sorted by member then type.
Result<Alarms> LoadAlarms(RawReader* reader);

// Applies ACTIVATE or DEACTIVATE (writing `batch`) or GET, with etcd's
// answers: the alarms of the given type for GET (all for NONE), the one
// raised or cleared for the others (none when nothing changed).
Result<etcdserverpb::AlarmResponse> ApplyAlarm(const etcdserverpb::AlarmRequest& request,
                                               RawReader* reader,
                                               rocksdb::WriteBatchWithIndex* batch);

// True for requests that can make the database bigger: a put, or a txn with
// a put in either branch at any depth (etcd refuses those while NOSPACE is
// raised, and lets deletes and compactions through to free space).
bool AddsData(const cairnpb::RaftRequest& request);

// What the raised alarms say about `request`: NOSPACE refuses requests that
// add data ("etcdserver: mvcc: database space exceeded"); CORRUPT refuses
// every write and compaction ("etcdserver: corrupt cluster"); alarm
// requests always pass, so alarms can be cleared.
Status CheckAlarms(const Alarms& alarms, const cairnpb::RaftRequest& request);

}  // namespace cairn::kv
