#include "client/endpoints.h"

namespace cairn::client {

std::string EndpointTarget(std::string_view url) {
  constexpr std::string_view kHttp = "http://";
  if (url.starts_with(kHttp)) url.remove_prefix(kHttp.size());
  while (!url.empty() && url.back() == '/')
    url.remove_suffix(1);
  return std::string(url);
}

Result<std::vector<std::string>> ParseEndpoints(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    if (item.empty()) continue;
    if (item.starts_with("https://"))
      return Status(
          Code::kInvalidArgument,
          "https endpoints need TLS, which cairnctl does not support yet: " + std::string(item));
    out.push_back(EndpointTarget(item));
  }
  if (out.empty()) return Status(Code::kInvalidArgument, "no endpoints given");
  return out;
}

bool ShouldTryNextEndpoint(const Status& status, bool idempotent) {
  if (status.code() != Code::kUnavailable) return false;
  const std::string& m = status.message();
  bool from_server = m.starts_with("etcdserver:");
  if (!from_server) return true;
  if (m == "etcdserver: no leader" || m == "etcdserver: server stopped") return true;
  return idempotent;
}

std::vector<size_t> EndpointOrder(size_t count, size_t preferred) {
  std::vector<size_t> order;
  if (count == 0) return order;
  if (preferred >= count) preferred = 0;
  order.push_back(preferred);
  for (size_t i = 0; i < count; ++i)
    if (i != preferred) order.push_back(i);
  return order;
}

}  // namespace cairn::client
