#include "base/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cairn {
namespace {

constexpr size_t kMaxRequestBytes = 8192;
constexpr int kConnectionSeconds = 2;
constexpr int kWorkers = 4;
constexpr int kMaxInFlight = 32;

bool WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::string HttpStatusLine(int status) {
  switch (status) {
    case 200:
      return "200 OK";
    case 400:
      return "400 Bad Request";
    case 404:
      return "404 Not Found";
    case 405:
      return "405 Method Not Allowed";
    case 413:
      return "413 Content Too Large";
    case 503:
      return "503 Service Unavailable";
    default:
      return std::to_string(status) + " Status";
  }
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& host_port,
                                                      Handler handler) {
  size_t colon = host_port.rfind(':');
  if (colon == std::string::npos) {
    return Status(Code::kInvalidArgument, "expected host:port, got \"" + host_port + "\"");
  }
  std::string host = host_port.substr(0, colon);
  std::string port = host_port.substr(colon + 1);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    return Status(Code::kInvalidArgument, "listen " + host_port + ": " + gai_strerror(rc));
  }
  int fd = -1;
  std::string error = "no address";
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 64) != 0) {
      error = std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) return Status(Code::kUnavailable, "listen " + host_port + ": " + error);
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  int bound_port = bound.ss_family == AF_INET6
                       ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                       : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  int wake = ::eventfd(0, EFD_CLOEXEC);
  if (wake < 0) {
    ::close(fd);
    return Status(Code::kInternal, std::string("eventfd: ") + std::strerror(errno));
  }
  return std::unique_ptr<HttpServer>(new HttpServer(fd, wake, bound_port, std::move(handler)));
}

HttpServer::HttpServer(int listen_fd, int wake_fd, int port, Handler handler)
    : listen_fd_(listen_fd),
      wake_fd_(wake_fd),
      port_(port),
      handler_(std::move(handler)),
      workers_(kWorkers) {
  thread_ = std::thread([this] { Loop(); });
}

HttpServer::~HttpServer() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
  thread_.join();
  workers_.Stop();  // lets the requests in flight finish
  ::close(listen_fd_);
  ::close(wake_fd_);
}

void HttpServer::Loop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (in_flight_.load() >= kMaxInFlight) {
      WriteAll(fd, "HTTP/1.1 " + HttpStatusLine(503) +
                       "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      ::close(fd);
      continue;
    }
    ++in_flight_;
    workers_.Run([this, fd] {
      Serve(fd);
      ::close(fd);
      --in_flight_;
    });
  }
}

void HttpServer::Serve(int fd) {
  timeval limit{kConnectionSeconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  std::string request;
  char buf[2048];
  while (request.find("\r\n\r\n") == std::string::npos) {
    if (request.size() > kMaxRequestBytes) {
      WriteAll(fd, "HTTP/1.1 " + HttpStatusLine(413) + "\r\nConnection: close\r\n\r\n");
      // Read what the client still sends before closing: closing with
      // unread input resets the connection, and the client may lose the
      // answer. Bounded by the connection's time limit.
      ::shutdown(fd, SHUT_WR);
      while (::recv(fd, buf, sizeof buf, 0) > 0) {
      }
      return;
    }
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    request.append(buf, static_cast<size_t>(n));
  }
  // "GET /path?query HTTP/1.1"
  size_t sp1 = request.find(' ');
  size_t sp2 = sp1 == std::string::npos ? sp1 : request.find(' ', sp1 + 1);
  size_t eol = request.find("\r\n");
  HttpResponse response;
  std::string method;
  if (sp1 == std::string::npos || sp2 == std::string::npos || sp2 > eol) {
    response = {400, "text/plain; charset=utf-8", "bad request\n", {}};
  } else {
    method = request.substr(0, sp1);
    std::string target = request.substr(sp1 + 1, sp2 - sp1 - 1);
    HttpRequest parsed;
    size_t q = target.find('?');
    parsed.path = target.substr(0, q);
    if (q != std::string::npos) parsed.query = target.substr(q + 1);
    if (method != "GET" && method != "HEAD") {
      response = {
          405, "text/plain; charset=utf-8", "only GET and HEAD\n", {{"Allow", "GET, HEAD"}}};
    } else {
      response = handler_(parsed);
    }
  }
  std::string head = "HTTP/1.1 " + HttpStatusLine(response.status) +
                     "\r\nContent-Type: " + response.content_type +
                     "\r\nContent-Length: " + std::to_string(response.body.size()) +
                     "\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n";
  for (const auto& [name, value] : response.headers)
    head += name + ": " + value + "\r\n";
  head += "Connection: close\r\n\r\n";
  if (method == "HEAD") {
    WriteAll(fd, head);
  } else {
    WriteAll(fd, head + response.body);
  }
}

}  // namespace cairn
