#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "api/internal_watch.h"
#include "api/kv_backend.h"
#include "api/watch_hub.h"
#include "base/status.h"

namespace cairn::api {

struct AcquireRequest {
  std::string prefix;  // "<name>/"
  int64_t lease = 0;
  std::string value;
  // Elections: a key this lease already has takes the new value.
  bool update_value = false;
};

struct Acquired {
  std::string key;       // prefix + lease id in hex
  int64_t revision = 0;  // the key's create revision: a fencing token
  etcdserverpb::ResponseHeader header;
};

// etcd's recipe for locks and elections, run inside the server: create our
// key under the prefix (once per lease: a second attempt with the same lease
// finds it), then wait until every key under the prefix created before ours
// is gone. The oldest key holds the lock, or leads. Waiting never holds a
// thread: each step runs from the previous one's completion.
class Acquisition : public std::enable_shared_from_this<Acquisition> {
 public:
  using Done = std::function<void(Result<Acquired>)>;

  static std::shared_ptr<Acquisition> Make(KvBackend* backend, WatchHub* hub,
                                           AcquireRequest request, Done done);
  void Run();
  // Gives up: `done` gets CANCELLED (unless it already ran) and our key is
  // deleted, as etcd does when a client stops waiting.
  void Cancel();

 private:
  Acquisition(KvBackend* backend, WatchHub* hub, AcquireRequest request, Done done);
  void Created(Result<kv::ApplyResult> r);
  // Finds the newest key created before ours; none left means acquired.
  void Check();
  void WaitForDelete(const std::string& key, int64_t from_revision);
  void Finish(Result<Acquired> result);
  void DeleteKey();
  bool finished();

  KvBackend* const backend_;
  WatchHub* const hub_;
  const AcquireRequest request_;
  const std::string key_;
  Done done_;

  std::mutex mu_;
  bool finished_ = false;
  bool created_ = false;  // our key exists (ours to delete on failure)
  Acquired acquired_;
  std::shared_ptr<InternalWatch> watch_;
  uint64_t watch_seq_ = 0;  // the newest watch's number
};

// The first key after every key starting with `prefix` (etcd's prefix end).
std::string PrefixEnd(const std::string& prefix);

}  // namespace cairn::api
