#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/worker_pool.h"

namespace cairn {

struct HttpRequest {
  std::string path;   // without the query string
  std::string query;  // after '?', undecoded; empty if none
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones
};

// A deliberately small HTTP/1.1 server for /metrics, health probes and the
// dashboard: GET and HEAD only, one request per connection
// (Connection: close), requests up to 8 KiB, a 2 s limit on reading and
// writing each connection so a stuck client cannot hold a thread. Requests
// run on a few worker threads, so a health check waiting on the cluster
// does not hold up a scrape; past a cap on requests in flight the answer is
// 503. Scrapers and probes need nothing more; nothing here is on a data path.
class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest& request)>;

  // Listens on "host:port" (port 0: any free port).
  static Result<std::unique_ptr<HttpServer>> Start(const std::string& host_port, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }

 private:
  HttpServer(int listen_fd, int wake_fd, int port, Handler handler);
  void Loop();
  void Serve(int fd);

  int listen_fd_;
  int wake_fd_;  // eventfd: written to stop the loop
  int port_;
  Handler handler_;
  std::atomic<int> in_flight_{0};
  WorkerPool workers_;
  std::thread thread_;
};

// "200 OK", "404 Not Found", ...
std::string HttpStatusLine(int status);

}  // namespace cairn
