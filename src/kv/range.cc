#include "kv/range.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "kv/errors.h"
#include "kv/key_value.h"
#include "kv/validate.h"

namespace cairn::kv {
namespace {

using etcdserverpb::RangeRequest;
using mvccpb::KeyValue;

bool HasFilters(const RangeRequest& req) {
  return req.min_mod_revision() != 0 || req.max_mod_revision() != 0 ||
         req.min_create_revision() != 0 || req.max_create_revision() != 0;
}

void Prune(std::vector<KeyValue>* kvs, const std::function<bool(const KeyValue&)>& drop) {
  kvs->erase(std::remove_if(kvs->begin(), kvs->end(), drop), kvs->end());
}

// Orders by the sort target; ties are equal (so a stable sort keeps key order).
int CompareBy(RangeRequest::SortTarget target, const KeyValue& a, const KeyValue& b) {
  auto cmp = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  switch (target) {
    case RangeRequest::KEY:
      return a.key().compare(b.key()) < 0 ? -1 : (a.key() == b.key() ? 0 : 1);
    case RangeRequest::VERSION:
      return cmp(a.version(), b.version());
    case RangeRequest::CREATE:
      return cmp(a.create_revision(), b.create_revision());
    case RangeRequest::MOD:
      return cmp(a.mod_revision(), b.mod_revision());
    case RangeRequest::VALUE:
      return a.value().compare(b.value()) < 0 ? -1 : (a.value() == b.value() ? 0 : 1);
    default:
      return 0;
  }
}

}  // namespace

Result<etcdserverpb::RangeResponse> ExecuteRange(RawReader* reader, const RangeRequest& req,
                                                 int64_t current, int64_t compacted) {
  if (Status s = ValidateRange(req); !s.ok()) return s;
  Result<int64_t> rev = ResolveReadRevision(req.revision(), current, compacted);
  if (!rev.ok()) return rev.status();

  int64_t fetch = req.limit();
  if (req.sort_order() != RangeRequest::NONE || HasFilters(req)) fetch = 0;
  // One extra tells whether there is more. (At the maximum, no limit.)
  fetch = (fetch > 0 && fetch < INT64_MAX) ? fetch + 1 : 0;

  // keys_only drops values from the answer, not from a sort by value.
  const bool load_values = !req.keys_only() || req.sort_target() == RangeRequest::VALUE;
  int64_t count = 0;
  std::vector<KeyValue> kvs;
  Status decode;
  Status scan;
  if (req.range_end().empty() && *rev == current) {
    // One key at the current revision: the latest-version index.
    Result<std::optional<KeyValue>> kv = GetLatest(reader, req.key());
    if (!kv.ok()) return kv.status();
    if (kv->has_value()) {
      count = 1;
      if (!req.count_only()) kvs.push_back(std::move(**kv));
    }
  } else {
    scan = ScanLive(reader, MakeKeyRange(req.key(), req.range_end()), *rev,
                    [&](Slice raw_key, int64_t r, Slice raw_value) {
                      ++count;
                      if (req.count_only()) return true;
                      if (fetch > 0 && static_cast<int64_t>(kvs.size()) >= fetch) return true;
                      decode =
                          DecodeKeyValue(raw_key, r, raw_value, load_values, &kvs.emplace_back());
                      return decode.ok();
                    });
  }
  if (!scan.ok()) return scan;
  if (!decode.ok()) return decode;

  if (req.max_mod_revision() != 0) {
    Prune(&kvs, [&](const KeyValue& kv) { return kv.mod_revision() > req.max_mod_revision(); });
  }
  if (req.min_mod_revision() != 0) {
    Prune(&kvs, [&](const KeyValue& kv) { return kv.mod_revision() < req.min_mod_revision(); });
  }
  if (req.max_create_revision() != 0) {
    Prune(&kvs,
          [&](const KeyValue& kv) { return kv.create_revision() > req.max_create_revision(); });
  }
  if (req.min_create_revision() != 0) {
    Prune(&kvs,
          [&](const KeyValue& kv) { return kv.create_revision() < req.min_create_revision(); });
  }

  int order = req.sort_order();
  if (req.sort_target() != RangeRequest::KEY && order == RangeRequest::NONE) {
    order = RangeRequest::ASCEND;
  }
  const auto target = req.sort_target();
  if (order == RangeRequest::ASCEND) {
    std::stable_sort(kvs.begin(), kvs.end(), [&](const KeyValue& a, const KeyValue& b) {
      return CompareBy(target, a, b) < 0;
    });
  } else if (order == RangeRequest::DESCEND) {
    std::stable_sort(kvs.begin(), kvs.end(), [&](const KeyValue& a, const KeyValue& b) {
      return CompareBy(target, a, b) > 0;
    });
  }

  etcdserverpb::RangeResponse resp;
  if (req.limit() > 0 && static_cast<int64_t>(kvs.size()) > req.limit()) {
    kvs.resize(static_cast<size_t>(req.limit()));
    resp.set_more(true);
  }
  resp.mutable_header()->set_revision(current);
  resp.set_count(count);
  resp.mutable_kvs()->Reserve(static_cast<int>(kvs.size()));
  for (KeyValue& kv : kvs) {
    if (req.keys_only()) kv.clear_value();
    *resp.add_kvs() = std::move(kv);
  }
  return resp;
}

}  // namespace cairn::kv
