#include "server/http_codec.h"

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <optional>
#include <sstream>

namespace raftkv::server {

namespace http = boost::beast::http;

struct HttpRequestParser::Impl {
  std::optional<http::request_parser<http::empty_body>> parser;
};

HttpRequestParser::HttpRequestParser() : impl_(std::make_unique<Impl>()) {
  reset();
}

HttpRequestParser::~HttpRequestParser() = default;

void HttpRequestParser::reset() {
  impl_->parser.emplace();                // a Beast parser reads one message: a new one per request
  impl_->parser->header_limit(8 * 1024);  // GETs: a small header is all there is to take
  impl_->parser->body_limit(0);
  impl_->parser->eager(true);  // a request without a body is done with its header
  request_ = {};
  error_.clear();
}

HttpRequestParser::Result HttpRequestParser::feed(std::string* pending) {
  auto& parser = *impl_->parser;
  while (!parser.is_done()) {
    boost::beast::error_code ec;
    const size_t used = parser.put(boost::asio::buffer(pending->data(), pending->size()), ec);
    pending->erase(0, used);
    if (ec == http::error::need_more) return Result::kNeedMore;
    if (ec) {
      error_ = ec.message();
      return Result::kError;
    }
    if (used == 0 && !parser.is_done()) return Result::kNeedMore;
  }
  const auto& req = parser.get();
  request_.method.assign(req.method_string().data(), req.method_string().size());
  request_.target.assign(req.target().data(), req.target().size());
  request_.keep_alive = req.keep_alive();
  return Result::kDone;
}

std::string encode_http_response(const HttpResponse& response, bool keep_alive, bool head_only) {
  http::response<http::string_body> res{static_cast<http::status>(response.status), 11};
  res.set(http::field::server, "raftkv");
  res.set(http::field::content_type, response.content_type);
  res.keep_alive(keep_alive);
  res.body() = response.body;
  res.prepare_payload();
  if (head_only) res.body().clear();  // Content-Length stays that of the GET
  std::ostringstream os;
  os << res;
  return std::move(os).str();
}

}  // namespace raftkv::server
