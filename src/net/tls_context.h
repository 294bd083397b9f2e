// OpenSSL contexts for client TLS and for mutual TLS between members, built from PEM files,
// and the check that a member's certificate names it.
#pragma once

#include <memory>
#include <string>

#include <asio/ssl.hpp>

#include "raft/types.h"

namespace raftkv::net {

struct TlsFiles {
  std::string cert_file;     // PEM certificate chain presented to the other side
  std::string key_file;      // its private key
  std::string ca_cert_file;  // CAs that the other side's certificate must chain to
};

// Redis's tls-auth-clients: yes (a client certificate is required), optional (checked if
// presented), no (not asked for).
enum class ClientCertPolicy { kRequire, kOptional, kNone };

// For a TLS listener. Returns why not, or empty.
std::string make_tls_server_context(const TlsFiles& files, ClientCertPolicy policy,
                                    std::shared_ptr<asio::ssl::context>* out);
// For dialing a TLS server that must present a certificate from files.ca_cert_file; we
// present ours. Returns why not, or empty.
std::string make_tls_client_context(const TlsFiles& files,
                                    std::shared_ptr<asio::ssl::context>* out);

// The name a member's certificate must carry (a DNS subjectAltName, or the Common Name of
// a certificate without DNS names): "raftkv-node-<id>".
std::string member_certificate_name(raft::NodeId id);
// True if the session's verified peer certificate names member `id`.
bool peer_certificate_names(SSL* ssl, raft::NodeId id);

}  // namespace raftkv::net
