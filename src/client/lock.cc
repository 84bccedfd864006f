#include "client/lock.h"

namespace cairn::client {

Result<v3lockpb::LockResponse> Lock::Acquire(const std::string& name, int64_t lease_id,
                                             Cancellation* cancellation) {
  v3lockpb::LockRequest request;
  request.set_name(name);
  request.set_lease(lease_id);
  // Retrying is safe: the server's lock key is derived from the lease, so a
  // second attempt waits on the same key.
  return connection_.Call<v3lockpb::Lock>(
      &v3lockpb::Lock::Stub::Lock, request,
      {.idempotent = true, .wait_forever = true, .cancellation = cancellation});
}

Result<v3lockpb::UnlockResponse> Lock::Release(const std::string& key) {
  v3lockpb::UnlockRequest request;
  request.set_key(key);
  return connection_.Call<v3lockpb::Lock>(&v3lockpb::Lock::Stub::Unlock, request);
}

}  // namespace cairn::client
