#include "check/search.h"

#include <algorithm>
#include <tuple>

#include "check/dancing_list.h"
#include "check/frontier.h"
#include "check/memo.h"

namespace cairn::check {
namespace {

// Known op i has its call at node 2i+1 and its return at node 2i+2. Events
// are ordered by time with calls before returns at equal times: intervals
// are closed, so an op called at the instant another returns overlaps it.
int32_t CallNode(int32_t op) {
  return 2 * op + 1;
}
int32_t OpOfNode(int32_t node) {
  return (node - 1) / 2;
}
bool IsCall(int32_t node) {
  return node % 2 == 1;
}

std::vector<int32_t> EventOrder(const std::vector<KeyOp>& known) {
  std::vector<std::tuple<int64_t, bool, int32_t>> events;
  events.reserve(2 * known.size());
  for (size_t i = 0; i < known.size(); ++i) {
    events.emplace_back(known[i].call, false, static_cast<int32_t>(i));
    events.emplace_back(known[i].ret, true, static_cast<int32_t>(i));
  }
  std::sort(events.begin(), events.end());
  std::vector<int32_t> order;
  order.reserve(events.size());
  for (const auto& [time, is_return, op] : events)
    order.push_back(CallNode(op) + is_return);
  return order;
}

std::vector<int32_t> Iota(size_t n) {
  std::vector<int32_t> order(n);
  for (size_t i = 0; i < n; ++i)
    order[i] = static_cast<int32_t>(i + 1);
  return order;
}

class Searcher {
 public:
  Searcher(const KeyHistory& h, const SearchBudget& budget)
      : h_(h),
        budget_(budget),
        entries_(EventOrder(h.known)),
        pending_unknown_(Iota(h.unknown.size())),
        frontier_(h),
        memo_((h.unknown.size() + 63) / 64) {}

  SearchOutcome Run();

 private:
  struct Frame {
    OpRef op;
    Frontier::Undo undo;
    int64_t bound;  // unknown ops only: the return time that bounded the candidates
  };

  const KeyOp& Op(OpRef r) const { return r.unknown ? h_.unknown[r.index] : h_.known[r.index]; }
  bool Try(OpRef op, int64_t bound);
  bool Pointless(const KeyOp& op, int32_t next) const;
  bool Admit();
  void Unlink(OpRef op);
  void Relink(OpRef op);
  Frame Pop();
  void RecordBest();

  const KeyHistory& h_;
  SearchBudget budget_;
  DancingList entries_;          // known ops' call and return events
  DancingList pending_unknown_;  // unknown ops not linearized, by call
  Frontier frontier_;
  Memo memo_;
  std::vector<Frame> stack_;
  bool exhausted_ = false;

  // The longest prefix so far (by known ops), kept incrementally: `shared_`
  // is how much of it the stack still matches, so a new record only copies
  // the frames pushed since the two diverged.
  std::vector<OpRef> best_;
  size_t best_known_ = 0;
  size_t shared_ = 0;
};

// Orders that never need trying, because an order without them reaches the
// same end whenever they do:
// - an unknown-outcome op that leaves the register (canonically) unchanged:
//   the same as it not taking effect, which is always allowed;
// - a blind write straight after an unknown-outcome op, which then went
//   unobserved: the same as the write alone, which is a candidate wherever
//   this order is.
bool Searcher::Pointless(const KeyOp& op, int32_t next) const {
  const int32_t state = frontier_.state();
  if (!op.known && frontier_.Canonical(next) == frontier_.Canonical(state)) return true;
  return (op.kind == OpKind::kPut || op.kind == OpKind::kDelete) && !stack_.empty() &&
         stack_.back().op.unknown;
}

bool Searcher::Admit() {
  if (memo_.SeenOrInsert(frontier_.View())) return false;
  const auto states = static_cast<int64_t>(memo_.size());
  if (states > budget_.max_states) exhausted_ = true;
  if (states % 4096 == 0 && std::chrono::steady_clock::now() > budget_.deadline) exhausted_ = true;
  return true;
}

void Searcher::Unlink(OpRef op) {
  if (op.unknown) {
    pending_unknown_.Remove(op.index + 1);
  } else {
    entries_.Remove(CallNode(op.index));
    entries_.Remove(CallNode(op.index) + 1);
  }
}

void Searcher::Relink(OpRef op) {
  if (op.unknown) {
    pending_unknown_.Restore(op.index + 1);
  } else {
    entries_.Restore(CallNode(op.index) + 1);
    entries_.Restore(CallNode(op.index));
  }
}

bool Searcher::Try(OpRef op, int64_t bound) {
  const KeyOp& k = Op(op);
  int32_t next = frontier_.state();
  if (!Step(k, frontier_.state(), &next) || Pointless(k, next)) return false;
  const Frontier::Undo undo = frontier_.Linearize(op.unknown, op.index, next);
  if (!Admit()) {
    frontier_.Unlinearize(op.unknown, op.index, undo);
    return false;
  }
  Unlink(op);
  stack_.push_back({op, undo, bound});
  RecordBest();
  return true;
}

Searcher::Frame Searcher::Pop() {
  const Frame f = stack_.back();
  stack_.pop_back();
  shared_ = std::min(shared_, stack_.size());
  frontier_.Unlinearize(f.op.unknown, f.op.index, f.undo);
  Relink(f.op);
  return f;
}

void Searcher::RecordBest() {
  const size_t p = stack_.size() - 1;
  if (shared_ == p && p < best_.size() && best_[p] == stack_[p].op) ++shared_;
  if (frontier_.known_done() > best_known_) {
    best_.resize(shared_);
    for (size_t i = shared_; i < stack_.size(); ++i)
      best_.push_back(stack_[i].op);
    shared_ = stack_.size();
    best_known_ = frontier_.known_done();
  }
}

SearchOutcome Searcher::Run() {
  SearchOutcome out;
  // Candidates for the next linearization point are the ops called before
  // the first pending return. Known ops are tried first: an unknown-outcome
  // write is only worth linearizing when something observes it.
  bool unknown_pass = false;
  int32_t cursor = entries_.First();
  int32_t unknown_cursor = DancingList::kEnd;
  int64_t bound = 0;
  for (;;) {
    if (entries_.Empty()) {
      out.result = SearchOutcome::kLinearizable;
      break;
    }
    if (exhausted_) {
      out.result = SearchOutcome::kBudgetExhausted;
      break;
    }
    if (!unknown_pass) {
      if (IsCall(cursor)) {
        const bool pushed = Try({false, OpOfNode(cursor)}, 0);
        cursor = pushed ? entries_.First() : entries_.Next(cursor);
        continue;
      }
      unknown_pass = true;
      bound = h_.known[OpOfNode(cursor)].ret;
      unknown_cursor = pending_unknown_.First();
    }
    if (unknown_cursor != DancingList::kEnd && h_.unknown[unknown_cursor - 1].call <= bound) {
      if (Try({true, unknown_cursor - 1}, bound)) {
        unknown_pass = false;
        cursor = entries_.First();
      } else {
        unknown_cursor = pending_unknown_.Next(unknown_cursor);
      }
      continue;
    }
    if (stack_.empty()) {
      out.result = SearchOutcome::kNotLinearizable;
      break;
    }
    const Frame f = Pop();
    unknown_pass = f.op.unknown;
    if (f.op.unknown) {
      unknown_cursor = pending_unknown_.Next(f.op.index + 1);
      bound = f.bound;
    } else {
      cursor = entries_.Next(CallNode(f.op.index));
    }
  }
  out.longest_prefix = std::move(best_);
  out.states = static_cast<int64_t>(memo_.size());
  return out;
}

}  // namespace

SearchOutcome Search(const KeyHistory& history, const SearchBudget& budget) {
  return Searcher(history, budget).Run();
}

}  // namespace cairn::check
