#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "base/status.h"
#include "client/connection.h"
#include "cmd/cairnctl/printer.h"

namespace cairn::ctl {

// The flags every command shares, and what the chosen command will run.
struct Cli {
  std::string endpoints = "127.0.0.1:2379";
  std::string command_timeout = "5s";
  std::string output;  // empty: the command's default format
  // Set by the subcommand CLI11 selected; main runs it after parsing.
  std::function<Status()> action;
  // What main exits with when the action succeeds (doctor's verdict).
  int exit_status = 0;

  // A connection over every --endpoints entry (failover between them).
  Result<client::ConnectionOptions> Options() const;
  // One ConnectionOptions per --endpoints entry, for per-member commands.
  Result<std::vector<client::ConnectionOptions>> PerEndpointOptions() const;
  Result<OutputFormat> Format(OutputFormat fallback = OutputFormat::kSimple) const;

  // Registers `sub`'s action: on selection, `run` becomes the action.
  void Runs(CLI::App* sub, std::function<Status()> run) {
    sub->callback([this, run = std::move(run)] { action = run; });
  }
};

// Writes text to stdout and flushes (a watch's output is read live).
void Print(const std::string& text);

// Each file registers its commands.
void AddKvCommands(CLI::App& app, Cli& cli);
void AddWatchCommand(CLI::App& app, Cli& cli);
void AddLeaseCommands(CLI::App& app, Cli& cli);
void AddLockCommand(CLI::App& app, Cli& cli);
void AddElectCommand(CLI::App& app, Cli& cli);
void AddMemberCommands(CLI::App& app, Cli& cli);
void AddEndpointCommands(CLI::App& app, Cli& cli);
void AddClusterStatusCommand(CLI::App& app, Cli& cli);
void AddMaintenanceCommands(CLI::App& app, Cli& cli);
void AddDoctorCommand(CLI::App& app, Cli& cli);

}  // namespace cairn::ctl
