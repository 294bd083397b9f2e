// HTTP/1.1 for the metrics endpoint, by Boost.Beast's parser and serializer, behind an
// interface free of Asio: Beast brings Boost.Asio, whose headers cannot share a
// translation unit with the standalone Asio the server's sockets use.
#pragma once

#include <memory>
#include <string>

namespace raftkv::server {

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct HttpRequest {
  std::string method;  // "GET", ...
  std::string target;  // the path, query included
  bool keep_alive = true;
};

// Parses requests (without bodies) one at a time from a byte stream.
class HttpRequestParser {
 public:
  HttpRequestParser();
  ~HttpRequestParser();
  HttpRequestParser(const HttpRequestParser&) = delete;
  HttpRequestParser& operator=(const HttpRequestParser&) = delete;

  enum class Result { kNeedMore, kDone, kError };
  // Consumes what it can from the front of `pending`. kDone: request() holds the next
  // request (call reset() before the one after); kError: error() says why.
  Result feed(std::string* pending);
  const HttpRequest& request() const { return request_; }
  const std::string& error() const { return error_; }
  void reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  HttpRequest request_;
  std::string error_;
};

// The bytes of a response; for HEAD (`head_only`) without the body, but with its length.
std::string encode_http_response(const HttpResponse& response, bool keep_alive, bool head_only);

}  // namespace raftkv::server
