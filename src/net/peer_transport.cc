#include "net/peer_transport.h"

#include <utility>

#include "net/transport_core.h"

namespace raftkv::net {

PeerTransport::PeerTransport(asio::io_context& io, raft::NodeId self,
                             std::map<raft::NodeId, PeerAddress> peers, MessageHandler on_message,
                             TransportOptions options)
    : core_(std::make_shared<TransportCore>(io, self, std::move(peers), std::move(on_message),
                                            std::move(options))) {}

PeerTransport::~PeerTransport() {
  core_->shutdown();
}

std::error_code PeerTransport::start() {
  return core_->start();
}

uint16_t PeerTransport::listen_port() const {
  return core_->listen_port();
}

void PeerTransport::send(raft::Message m) {
  core_->send(std::move(m));
}

void PeerTransport::send(std::vector<raft::Message> messages) {
  for (raft::Message& m : messages) core_->send(std::move(m));
}

void PeerTransport::post_send(std::vector<raft::Message> messages) {
  // The transport may be gone by the time this runs; the weak reference notices.
  const std::weak_ptr<TransportCore> weak = core_;
  asio::post(core_->executor(), [weak, messages = std::move(messages)]() mutable {
    const std::shared_ptr<TransportCore> core = weak.lock();
    if (!core) return;
    for (raft::Message& m : messages) core->send(std::move(m));
  });
}

void PeerTransport::set_peer(raft::NodeId id, PeerAddress address) {
  core_->set_peer(id, std::move(address));
}

void PeerTransport::remove_peer(raft::NodeId id) {
  core_->remove_peer(id);
}

void PeerTransport::set_peer_info_handler(PeerInfoHandler handler) {
  core_->set_peer_info_handler(std::move(handler));
}

void PeerTransport::set_peer_address_handler(PeerAddressHandler handler) {
  core_->set_peer_address_handler(std::move(handler));
}

void PeerTransport::set_unreachable_handler(std::function<void(raft::NodeId)> handler) {
  core_->set_unreachable_handler(std::move(handler));
}

std::map<raft::NodeId, std::string> PeerTransport::peer_client_addresses() const {
  return core_->peer_client_addresses();
}

TransportStats PeerTransport::stats() const {
  return core_->stats();
}

}  // namespace raftkv::net
