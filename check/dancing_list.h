#pragma once

#include <cstdint>
#include <vector>

namespace cairn::check {

// A circular doubly-linked list over nodes 1..n (node 0 is the sentinel) whose
// removed nodes keep their links, so the depth-first search can take an
// operation out and put it back in O(1) (Knuth's dancing links).
class DancingList {
 public:
  static constexpr int32_t kEnd = 0;

  // Links `order` (a permutation of 1..order.size()) in that order.
  explicit DancingList(const std::vector<int32_t>& order)
      : next_(order.size() + 1), prev_(order.size() + 1) {
    int32_t last = kEnd;
    for (int32_t node : order) {
      next_[last] = node;
      prev_[node] = last;
      last = node;
    }
    next_[last] = kEnd;
    prev_[kEnd] = last;
  }

  bool Empty() const { return next_[kEnd] == kEnd; }
  int32_t First() const { return next_[kEnd]; }
  int32_t Next(int32_t node) const { return next_[node]; }

  void Remove(int32_t node) {
    next_[prev_[node]] = next_[node];
    prev_[next_[node]] = prev_[node];
  }

  // Restores must undo removals in reverse order.
  void Restore(int32_t node) {
    next_[prev_[node]] = node;
    prev_[next_[node]] = node;
  }

 private:
  std::vector<int32_t> next_;
  std::vector<int32_t> prev_;
};

}  // namespace cairn::check
