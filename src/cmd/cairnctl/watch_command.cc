// watch: prints events as they come, until interrupted or --max-events.
#include <memory>

#include "client/kv.h"
#include "client/watch.h"
#include "cmd/cairnctl/cli.h"
#include "cmd/cairnctl/interrupt.h"

namespace cairn::ctl {

namespace {

struct WatchOptions {
  std::string key;
  std::string range_end;
  bool prefix = false;
  int64_t revision = 0;
  bool prev_kv = false;
  int64_t max_events = 0;
};

Status RunWatch(const Cli& cli, const WatchOptions& o) {
  if (o.prefix && !o.range_end.empty())
    return Status(Code::kInvalidArgument,
                  "`--prefix` and a range end cannot be set at the same time");
  Result<OutputFormat> format = cli.Format();
  if (!format.ok()) return format.status();
  Result<client::ConnectionOptions> options = cli.Options();
  if (!options.ok()) return options.status();
  client::Connection connection(*options);

  etcdserverpb::WatchCreateRequest request;
  request.set_key(o.key.empty() && o.prefix ? std::string(1, '\0') : o.key);
  request.set_range_end(o.prefix ? client::PrefixEnd(o.key) : o.range_end);
  request.set_start_revision(o.revision);
  request.set_prev_kv(o.prev_kv);

  client::Cancellation cancellation;
  OnInterrupt([&cancellation] { cancellation.Cancel(); });
  client::WatchStream stream(connection, &cancellation);
  Status status = stream.Create(request);
  int64_t events = 0;
  etcdserverpb::WatchResponse response;
  while (status.ok() && (o.max_events == 0 || events < o.max_events)) {
    status = stream.Next(&response);
    if (!status.ok() || response.events().empty()) continue;
    // --max-events counts events; a response may carry several.
    if (o.max_events > 0 && events + response.events_size() > o.max_events)
      response.mutable_events()->DeleteSubrange(
          static_cast<int>(o.max_events - events),
          static_cast<int>(events + response.events_size() - o.max_events));
    events += response.events_size();
    Print(*format == OutputFormat::kJson ? JsonLine(response) : SimpleWatch(response));
  }
  OnInterrupt(nullptr);
  // Ending a watch with Ctrl-C is how it is meant to end.
  if (status.code() == Code::kCancelled && cancellation.cancelled()) return Status::Ok();
  return status;
}

}  // namespace

void AddWatchCommand(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<WatchOptions>();
  CLI::App* sub = app.add_subcommand("watch", "Watches a key or range and prints its events");
  sub->add_option("key", o->key, "Key")->required();
  sub->add_option("range_end", o->range_end, "End of the range [key, range_end)");
  sub->add_flag("--prefix", o->prefix, "Watch every key with the prefix");
  sub->add_option("--rev", o->revision, "Revision to start from (replays the history since)");
  sub->add_flag("--prev-kv", o->prev_kv, "Print each event's previous key-value pair");
  sub->add_option("--max-events", o->max_events, "Exit after this many events (0: never)");
  cli.Runs(sub, [&cli, o] { return RunWatch(cli, *o); });
}

}  // namespace cairn::ctl
