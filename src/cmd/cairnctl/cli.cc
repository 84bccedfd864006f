#include "cmd/cairnctl/cli.h"

#include <cstdio>

#include "cmd/cairnctl/requests.h"

namespace cairn::ctl {

Result<client::ConnectionOptions> Cli::Options() const {
  Result<std::vector<std::string>> list = client::ParseEndpoints(endpoints);
  if (!list.ok()) return list.status();
  Result<int64_t> timeout = ParseDurationMillis(command_timeout);
  if (!timeout.ok()) return timeout.status();
  if (*timeout <= 0) return Status(Code::kInvalidArgument, "--command-timeout must be positive");
  return client::ConnectionOptions{.endpoints = *list,
                                   .command_timeout = std::chrono::milliseconds(*timeout)};
}

Result<std::vector<client::ConnectionOptions>> Cli::PerEndpointOptions() const {
  Result<client::ConnectionOptions> all = Options();
  if (!all.ok()) return all.status();
  std::vector<client::ConnectionOptions> each;
  for (const std::string& e : all->endpoints)
    each.push_back({.endpoints = {e}, .command_timeout = all->command_timeout});
  return each;
}

Result<OutputFormat> Cli::Format(OutputFormat fallback) const {
  if (output.empty()) return fallback;
  return ParseOutputFormat(output);
}

void Print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

}  // namespace cairn::ctl
