#include "base/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

namespace cairn {
namespace {

// /slow announces itself, then waits for the test to let it go.
std::promise<void> g_slow_entered;
std::promise<void> g_slow_gate;

// Sends `request` raw and returns everything the server wrote back (what
// came within 5 s: a request stuck in the server fails the test, not hangs).
std::string Exchange(int port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "connect failed";
  }
  timeval limit{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  std::string out;
  char buf[1024];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    out.append(buf, n);
  ::close(fd);
  return out;
}

std::unique_ptr<HttpServer> Serve() {
  auto server = HttpServer::Start("127.0.0.1:0", [](const HttpRequest& r) {
    if (r.path == "/hello") return HttpResponse{200, "text/plain", "hi\n", {}};
    if (r.path == "/echo") return HttpResponse{200, "text/plain", r.query, {}};
    if (r.path == "/slow") {
      g_slow_entered.set_value();
      g_slow_gate.get_future().wait_for(std::chrono::seconds(10));
      return HttpResponse{200, "text/plain", "late", {}};
    }
    return HttpResponse{404, "text/plain", "no\n", {}};
  });
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return std::move(*server);
}

TEST(HttpServer, AnswersGetWithLengthAndClose) {
  auto server = Serve();
  std::string got = Exchange(server->port(), "GET /hello?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("Content-Length: 3\r\n"), std::string::npos) << got;
  EXPECT_NE(got.find("Connection: close\r\n"), std::string::npos) << got;
  EXPECT_EQ(got.substr(got.size() - 3), "hi\n");
}

TEST(HttpServer, UnknownPathsMethodsAndGarbageGetErrors) {
  auto server = Serve();
  EXPECT_EQ(Exchange(server->port(), "GET /nope HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404", 0), 0u);
  std::string post = Exchange(server->port(), "POST /hello HTTP/1.1\r\n\r\n");
  EXPECT_EQ(post.rfind("HTTP/1.1 405", 0), 0u);
  EXPECT_NE(post.find("Allow: GET, HEAD\r\n"), std::string::npos) << post;
  EXPECT_EQ(Exchange(server->port(), "garbage\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  std::string head = Exchange(server->port(), "HEAD /hello HTTP/1.1\r\n\r\n");
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(head.find("hi\n"), std::string::npos) << "HEAD has no body";
  std::string huge = "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n";
  EXPECT_EQ(Exchange(server->port(), huge).rfind("HTTP/1.1 413", 0), 0u);
  // Still serving after all that.
  EXPECT_EQ(Exchange(server->port(), "GET /hello HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 200", 0), 0u);
}

TEST(HttpServer, PassesTheQueryString) {
  auto server = Serve();
  std::string got = Exchange(server->port(), "GET /echo?exclude=NOSPACE&verbose HTTP/1.1\r\n\r\n");
  EXPECT_NE(got.find("\r\n\r\nexclude=NOSPACE&verbose"), std::string::npos) << got;
}

TEST(HttpServer, ASlowRequestDoesNotHoldUpOthers) {
  auto server = Serve();
  auto slow = std::async(std::launch::async,
                         [&] { return Exchange(server->port(), "GET /slow HTTP/1.1\r\n\r\n"); });
  g_slow_entered.get_future().wait();
  // /slow holds a worker until released: the quick one must not wait for it.
  std::string quick = Exchange(server->port(), "GET /hello HTTP/1.1\r\n\r\n");
  g_slow_gate.set_value();
  EXPECT_EQ(quick.rfind("HTTP/1.1 200", 0), 0u) << quick;
  EXPECT_NE(slow.get().find("late"), std::string::npos);
}

TEST(HttpServer, ABadListenAddressIsAnError) {
  auto bad = HttpServer::Start("no-port-here", [](const HttpRequest&) { return HttpResponse{}; });
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace cairn
