#include "check/key_history.h"

#include <algorithm>
#include <unordered_map>

namespace cairn::check {
namespace {

class Interner {
 public:
  explicit Interner(std::vector<std::string>* values) : values_(values) {}

  int32_t Id(const std::string& bytes) {
    auto [it, inserted] = ids_.try_emplace(bytes, static_cast<int32_t>(values_->size()));
    if (inserted) values_->push_back(bytes);
    return it->second;
  }

 private:
  std::vector<std::string>* values_;
  std::unordered_map<std::string, int32_t> ids_;
};

}  // namespace

KeyHistory BuildKeyHistory(const History& history, const std::vector<size_t>& indices) {
  KeyHistory h;
  if (!indices.empty()) h.key = history[indices.front()].key;
  Interner interner(&h.values);
  for (size_t i : indices) {
    const Operation& op = history[i];
    if (!op.known && op.kind == OpKind::kGet) continue;
    KeyOp k;
    k.kind = op.kind;
    k.known = op.known;
    k.cas_ok = op.cas_ok;
    k.call = op.call;
    k.ret = op.ret;
    k.source = i;
    switch (op.kind) {
      case OpKind::kGet:
        if (op.found) k.value = interner.Id(op.output);
        break;
      case OpKind::kPut:
        k.value = interner.Id(op.value);
        break;
      case OpKind::kDelete:
        break;
      case OpKind::kCas:
        k.value = interner.Id(op.value);
        k.expected = interner.Id(op.expected);
        break;
    }
    (op.known ? h.known : h.unknown).push_back(k);
  }
  auto by_call = [](const KeyOp& a, const KeyOp& b) {
    return a.call != b.call ? a.call < b.call : a.source < b.source;
  };
  std::sort(h.known.begin(), h.known.end(), by_call);
  std::sort(h.unknown.begin(), h.unknown.end(), by_call);
  return h;
}

}  // namespace cairn::check
