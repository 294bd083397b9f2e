#include "net/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace raftkv::net {
namespace {

// TLS 1.2 at least, no compression or renegotiation; OpenSSL's default ciphers.
std::shared_ptr<asio::ssl::context> base_context(asio::ssl::context::method method) {
  auto ctx = std::make_shared<asio::ssl::context>(method);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1 | asio::ssl::context::no_compression |
                   SSL_OP_NO_RENEGOTIATION);
  return ctx;
}

std::string describe(const std::string& what, const std::string& file, const asio::error_code& ec) {
  return "cannot load the " + what + " " + file + ": " + ec.message();
}

std::string load_files(asio::ssl::context& ctx, const TlsFiles& files) {
  asio::error_code ec;
  if (ctx.use_certificate_chain_file(files.cert_file, ec); ec) {
    return describe("certificate", files.cert_file, ec);
  }
  if (ctx.use_private_key_file(files.key_file, asio::ssl::context::pem, ec); ec) {
    return describe("private key", files.key_file, ec);
  }
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    return "the private key " + files.key_file + " does not match the certificate " +
           files.cert_file;
  }
  if (!files.ca_cert_file.empty()) {
    if (ctx.load_verify_file(files.ca_cert_file, ec); ec) {
      return describe("CA certificate", files.ca_cert_file, ec);
    }
  }
  return "";
}

}  // namespace

std::string make_tls_server_context(const TlsFiles& files, ClientCertPolicy policy,
                                    std::shared_ptr<asio::ssl::context>* out) {
  auto ctx = base_context(asio::ssl::context::tls_server);
  if (auto err = load_files(*ctx, files); !err.empty()) return err;
  asio::error_code ec;
  switch (policy) {
    case ClientCertPolicy::kRequire:
      ctx->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert, ec);
      break;
    case ClientCertPolicy::kOptional:
      ctx->set_verify_mode(asio::ssl::verify_peer, ec);
      break;
    case ClientCertPolicy::kNone:
      ctx->set_verify_mode(asio::ssl::verify_none, ec);
      break;
  }
  if (ec) return "cannot set the TLS verify mode: " + ec.message();
  *out = std::move(ctx);
  return "";
}

std::string make_tls_client_context(const TlsFiles& files,
                                    std::shared_ptr<asio::ssl::context>* out) {
  auto ctx = base_context(asio::ssl::context::tls_client);
  if (auto err = load_files(*ctx, files); !err.empty()) return err;
  asio::error_code ec;
  ctx->set_verify_mode(asio::ssl::verify_peer, ec);
  if (ec) return "cannot set the TLS verify mode: " + ec.message();
  *out = std::move(ctx);
  return "";
}

std::string member_certificate_name(raft::NodeId id) {
  return "raftkv-node-" + std::to_string(id);
}

bool peer_certificate_names(SSL* ssl, raft::NodeId id) {
  if (ssl == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return false;
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return false;
  const std::string name = member_certificate_name(id);
  // Matches DNS subjectAltNames, or the Common Name when there are none; no wildcards, so
  // that one certificate cannot stand for every member.
  const bool names =
      X509_check_host(cert, name.data(), name.size(), X509_CHECK_FLAG_NO_WILDCARDS, nullptr) == 1;
  X509_free(cert);
  return names;
}

}  // namespace raftkv::net
