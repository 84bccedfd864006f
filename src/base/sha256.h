#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "base/slice.h"

namespace cairn {

// SHA-256 (OpenSSL's), fed in pieces: what etcd appends to a snapshot
// stream so that a restore can tell a complete, unaltered file.
class Sha256 {
 public:
  static constexpr size_t kSize = 32;
  using Digest = std::array<uint8_t, kSize>;

  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(Slice data);
  // The digest of everything fed so far; the object is spent afterwards.
  Digest Finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace cairn
