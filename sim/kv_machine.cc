#include "sim/kv_machine.h"

#include "base/coding.h"

namespace cairn::sim {

uint64_t MixHash(uint64_t a, uint64_t b) {
  uint64_t x = a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

uint64_t HashBytes(const std::string& bytes, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ULL ^ seed;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::optional<CommandResult> KvMachine::Apply(const raft::Entry& entry) {
  applied_ = entry.index;
  digest_ = MixHash(MixHash(digest_, entry.index), MixHash(entry.term, HashBytes(entry.data)));
  if (entry.type != raft::EntryType::kNormal || entry.data.empty()) return std::nullopt;
  auto cmd = DecodeCommand(entry.data);
  if (!cmd) return std::nullopt;
  CommandResult result;
  auto it = data_.find(cmd->key);
  switch (cmd->kind) {
    case check::OpKind::kGet:
      if (it != data_.end()) {
        result.found = true;
        result.output = it->second;
      }
      break;
    case check::OpKind::kPut:
      data_[cmd->key] = cmd->value;
      break;
    case check::OpKind::kDelete:
      if (it != data_.end()) data_.erase(it);
      break;
    case check::OpKind::kCas:
      if (it != data_.end() && it->second == cmd->expected) {
        it->second = cmd->value;
        result.cas_ok = true;
      }
      break;
  }
  return result;
}

CommandResult KvMachine::Read(const std::string& key) const {
  CommandResult result;
  auto it = data_.find(key);
  if (it != data_.end()) {
    result.found = true;
    result.output = it->second;
  }
  return result;
}

std::string KvMachine::Serialize() const {
  std::string out;
  PutFixed64(&out, applied_);
  PutFixed64(&out, digest_);
  PutVarint64(&out, data_.size());
  for (const auto& [k, v] : data_) {
    PutLengthPrefixed(&out, k);
    PutLengthPrefixed(&out, v);
  }
  return out;
}

bool KvMachine::Restore(const std::string& data) {
  Slice in(data);
  uint64_t applied = 0, digest = 0, n = 0;
  if (!GetFixed64(&in, &applied) || !GetFixed64(&in, &digest) || !GetVarint64(&in, &n)) {
    return false;
  }
  std::map<std::string, std::string> kv;
  for (uint64_t i = 0; i < n; i++) {
    Slice k, v;
    if (!GetLengthPrefixed(&in, &k) || !GetLengthPrefixed(&in, &v)) return false;
    kv[k.ToString()] = v.ToString();
  }
  data_ = std::move(kv);
  applied_ = applied;
  digest_ = digest;
  return true;
}

}  // namespace cairn::sim
