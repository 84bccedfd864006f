#include "cmd/cairn/identity.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace cairn::cmd {

namespace {

Status Errno(const std::string& what) {
  return Status(Code::kInternal, what + ": " + std::strerror(errno));
}

Status SyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) return Errno("open " + path);
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::Ok() : Errno("fsync " + path);
}

}  // namespace

std::string IdentityPath(const std::string& data_dir) {
  return data_dir + "/member";
}

Result<std::optional<Identity>> LoadIdentity(const std::string& data_dir) {
  std::ifstream in(IdentityPath(data_dir));
  if (!in) return std::optional<Identity>();
  std::string line;
  std::getline(in, line);
  Identity id;
  char tail = 0;
  if (std::sscanf(line.c_str(), "member %" SCNx64 " cluster %" SCNx64 "%c", &id.member_id,
                  &id.cluster_id, &tail) != 2 ||
      id.member_id == 0) {
    return Status(Code::kDataLoss, IdentityPath(data_dir) + " is malformed: \"" + line + "\"");
  }
  return std::optional<Identity>(id);
}

Status SaveIdentity(const std::string& data_dir, const Identity& identity) {
  const std::string path = IdentityPath(data_dir);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    std::ostringstream line;
    line << std::hex << "member " << identity.member_id << " cluster " << identity.cluster_id
         << "\n";
    out << line.str();
    if (!out.flush()) return Status(Code::kInternal, "write " + tmp);
  }
  if (Status s = SyncPath(tmp, O_RDONLY); !s.ok()) return s;
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("rename " + tmp);
  return SyncPath(data_dir, O_RDONLY | O_DIRECTORY);
}

}  // namespace cairn::cmd
