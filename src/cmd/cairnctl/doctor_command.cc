// cairnctl doctor: checks every member and prints a verdict with causes and
// remedies. Exit status 0 healthy, 1 degraded, 2 unavailable (and 1 with
// "Error:" for a bad flag, as for every command).
#include <nlohmann/json.hpp>
#include <thread>

#include "client/cluster.h"
#include "client/diagnosis.h"
#include "client/diagnosis_json.h"
#include "client/member_probe.h"
#include "cmd/cairnctl/cli.h"
#include "cmd/cairnctl/requests.h"

namespace cairn::ctl {
namespace {

struct DoctorFlags {
  std::string interval = "1s";
  double fsync_p99_seconds = client::DoctorThresholds{}.fsync_p99_seconds;
  int64_t clock_skew_ms = client::DoctorThresholds{}.clock_skew_ms;
  uint64_t apply_lag_entries = client::DoctorThresholds{}.apply_lag_entries;
  uint64_t learner_lag_entries = client::DoctorThresholds{}.learner_lag_entries;
};

// Every member from the member list; if no endpoint can give one, the
// endpoints themselves stand in (they will be reported unreachable).
std::vector<client::MemberRef> Members(const client::ConnectionOptions& options) {
  client::Connection connection(options);
  Result<etcdserverpb::MemberListResponse> list = client::Cluster(connection).List();
  std::vector<client::MemberRef> out;
  if (list.ok()) {
    for (const etcdserverpb::Member& m : list->members())
      out.push_back(
          {m.id(), m.name(), {m.clienturls().begin(), m.clienturls().end()}, m.islearner()});
    return out;
  }
  for (const std::string& e : options.endpoints)
    out.push_back({0, e, {e}, false});
  return out;
}

std::string Text(const client::Diagnosis& d, size_t members) {
  std::string out = "cairnctl doctor: " + std::to_string(members) + " member(s)\n";
  for (const client::Check& c : d.checks) {
    std::string name = c.name + ":";
    name.resize(std::max<size_t>(name.size(), 12), ' ');
    out += std::string(c.ok() ? "  [ok]   " : "  [FAIL] ") + name + c.summary + "\n";
    for (const client::Finding& f : c.findings) {
      out += std::string("         ") +
             (f.severity == client::Severity::kCritical ? "CRITICAL: " : "warning: ") + f.what +
             "\n";
      if (!f.cause.empty()) out += "           cause:  " + f.cause + "\n";
      if (!f.remedy.empty()) out += "           remedy: " + f.remedy + "\n";
    }
  }
  std::string verdict = client::VerdictName(d.verdict);
  for (char& ch : verdict)
    ch = static_cast<char>(toupper(ch));
  out += "verdict: " + verdict + " (exit status " + std::to_string(static_cast<int>(d.verdict)) +
         ")\n";
  return out;
}

std::string Json(const client::Diagnosis& d) {
  nlohmann::json checks = nlohmann::json::array();
  for (const client::Check& c : d.checks) {
    nlohmann::json findings = nlohmann::json::array();
    for (const client::Finding& f : c.findings) {
      findings.push_back(client::FindingJson(f));
    }
    checks.push_back(
        {{"name", c.name}, {"ok", c.ok()}, {"summary", c.summary}, {"findings", findings}});
  }
  return nlohmann::json{{"verdict", client::VerdictName(d.verdict)},
                        {"exit_status", static_cast<int>(d.verdict)},
                        {"checks", checks}}
             .dump(2) +
         "\n";
}

Status RunDoctor(Cli& cli, const DoctorFlags& flags) {
  Result<OutputFormat> format = cli.Format(OutputFormat::kSimple);
  if (!format.ok()) return format.status();
  if (*format == OutputFormat::kTable) {
    return Status(Code::kInvalidArgument, "doctor writes simple or json, not table");
  }
  Result<client::ConnectionOptions> options = cli.Options();
  if (!options.ok()) return options.status();
  Result<int64_t> interval = ParseDurationMillis(flags.interval);
  if (!interval.ok()) return interval.status();
  client::DoctorThresholds thresholds;
  thresholds.fsync_p99_seconds = flags.fsync_p99_seconds;
  thresholds.clock_skew_ms = flags.clock_skew_ms;
  thresholds.apply_lag_entries = flags.apply_lag_entries;
  thresholds.learner_lag_entries = flags.learner_lag_entries;

  std::vector<client::MemberRef> members = Members(*options);
  client::ChannelCache channels;
  client::ProbeOptions probe;
  probe.timeout = options->command_timeout;
  // Two looks, `interval` apart: progress (a learner catching up) needs both.
  std::vector<client::MemberProbe> before;
  if (*interval > 0) {
    before = client::ProbeMembers(members, probe, &channels);
    std::this_thread::sleep_for(std::chrono::milliseconds(*interval));
  }
  std::vector<client::MemberProbe> now = client::ProbeMembers(members, probe, &channels);
  client::Diagnosis d = client::Diagnose(now, before, thresholds);
  Print(*format == OutputFormat::kJson ? Json(d) : Text(d, members.size()));
  cli.exit_status = static_cast<int>(d.verdict);
  return Status::Ok();
}

}  // namespace

void AddDoctorCommand(CLI::App& app, Cli& cli) {
  auto flags = std::make_shared<DoctorFlags>();
  CLI::App* doctor = app.add_subcommand(
      "doctor",
      "Checks every member (reachability, leader agreement, apply lag, fsync latency, clock "
      "skew, disk space, alarms, learners) and prints causes and remedies. Exit status 0 "
      "healthy, 1 degraded, 2 unavailable");
  doctor
      ->add_option("--interval", flags->interval,
                   "Time between the two probes that judge progress (0: one probe)")
      ->capture_default_str();
  doctor
      ->add_option("--max-fsync-p99", flags->fsync_p99_seconds,
                   "Slowest acceptable WAL fsync p99 over the last minute, in seconds")
      ->capture_default_str();
  doctor
      ->add_option("--max-clock-skew-ms", flags->clock_skew_ms,
                   "Largest acceptable clock difference between members")
      ->capture_default_str();
  doctor
      ->add_option("--max-apply-lag", flags->apply_lag_entries,
                   "Most committed entries a voting member may have left to apply")
      ->capture_default_str();
  doctor
      ->add_option("--max-learner-lag", flags->learner_lag_entries,
                   "A learner further behind that does not gain is reported")
      ->capture_default_str();
  cli.Runs(doctor, [&cli, flags] { return RunDoctor(cli, *flags); });
}

}  // namespace cairn::ctl
