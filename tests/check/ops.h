#pragma once

#include <optional>
#include <string>

#include "check/history.h"

// Terse constructors for hand-written histories.
namespace cairn::check::ops {

inline Operation Put(int client, std::string key, std::string value, int64_t call, int64_t ret) {
  Operation op;
  op.client = client;
  op.kind = OpKind::kPut;
  op.key = std::move(key);
  op.value = std::move(value);
  op.call = call;
  op.ret = ret;
  return op;
}

// `output` nullopt: the get found no value.
inline Operation Get(int client, std::string key, std::optional<std::string> output, int64_t call,
                     int64_t ret) {
  Operation op;
  op.client = client;
  op.kind = OpKind::kGet;
  op.key = std::move(key);
  op.found = output.has_value();
  op.output = output.value_or("");
  op.call = call;
  op.ret = ret;
  return op;
}

inline Operation Del(int client, std::string key, int64_t call, int64_t ret) {
  Operation op;
  op.client = client;
  op.kind = OpKind::kDelete;
  op.key = std::move(key);
  op.call = call;
  op.ret = ret;
  return op;
}

inline Operation Cas(int client, std::string key, std::string expected, std::string value, bool ok,
                     int64_t call, int64_t ret) {
  Operation op;
  op.client = client;
  op.kind = OpKind::kCas;
  op.key = std::move(key);
  op.expected = std::move(expected);
  op.value = std::move(value);
  op.cas_ok = ok;
  op.call = call;
  op.ret = ret;
  return op;
}

// The same operation, timed out: it may or may not take effect, any time
// after its call.
inline Operation Unknown(Operation op) {
  op.known = false;
  op.ret = 0;
  op.found = false;
  op.output.clear();
  op.cas_ok = false;
  return op;
}

}  // namespace cairn::check::ops
