#include "raft/raft.h"

#include "raft/check.h"
#include "raft/membership.h"

#include <algorithm>

namespace raftkv::raft {

const char* to_string(Role r) {
  switch (r) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "?";
}

const char* to_string(ProposeError e) {
  switch (e) {
    case ProposeError::kNotLeader:
      return "not leader";
    case ProposeError::kTransferring:
      return "leadership transfer in progress";
    case ProposeError::kConfChangePending:
      return "a configuration change is pending";
    case ProposeError::kInvalidConf:
      return "invalid configuration";
  }
  return "?";
}

Raft::Raft(const Config& config, Storage* storage, const testing::InjectedBugs& bugs)
    : id_(config.id),
      config_(config),
      bugs_(bugs),
      storage_(storage),
      log_(storage, config.max_committed_size_per_ready),
      tracker_(static_cast<size_t>(std::max(1, config.max_inflight_msgs))),
      rng_(config.random_seed * 0x9E3779B97F4A7C15ULL + config.id) {
  // Node validated the Config; checked again because the modulo in
  // reset_randomized_election_timeout() divides by election_tick.
  RAFTKV_CHECK(config.id != kNoNode, "Config::id must name this node");
  RAFTKV_CHECK(config.heartbeat_tick > 0 && config.election_tick > config.heartbeat_tick,
               "Config needs 0 < heartbeat_tick < election_tick");
  InitialState init = storage->initial_state();
  term_ = init.hard_state.term;
  vote_ = init.hard_state.vote;
  if (init.hard_state.commit > log_.committed()) {
    log_.commit_to(std::min(init.hard_state.commit, log_.last_index()));
  }
  if (config.applied > log_.committed()) {
    // The application only applies committed entries, so what it says it applied is
    // proof of commit (the persisted commit index may lag: it is written lazily). An
    // applied index beyond the log itself cannot be right: stop rather than guess.
    RAFTKV_CHECK(config.applied <= log_.last_index(), "Config::applied is beyond the log");
    log_.commit_to(config.applied);
  }
  if (config.applied > log_.applied()) log_.applied_to(config.applied);
  prev_hard_state_ = init.hard_state;
  base_conf_ = init.conf;
  load_conf_history();
  refresh_conf();
  become_follower(term_, kNoNode);
}

// ---------------------------------------------------------------------------------------
// Roles

void Raft::reset(Term term) {
  if (term_ != term) {
    term_ = term;
    vote_ = kNoNode;
  }
  lead_ = kNoNode;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  reset_randomized_election_timeout();
  tracker_.reset_votes();
  self_vote_pending_ = false;
  for (auto& [id, pr] : tracker_.all()) {
    bool learner = pr.is_learner;
    pr = Progress(static_cast<size_t>(std::max(1, config_.max_inflight_msgs)));
    pr.is_learner = learner;
    pr.next = log_.last_index() + 1;
    if (id == id_) pr.match = log_.stable_last_index();
  }
  reads_.clear();
  deferred_reads_.clear();
  append_pending_ = false;
  lead_transferee_ = kNoNode;
  transfer_elapsed_ = 0;
}

void Raft::reset_randomized_election_timeout() {
  randomized_timeout_ = config_.election_tick +
                        static_cast<int>(rng_() % static_cast<uint64_t>(config_.election_tick));
}

void Raft::become_follower(Term term, NodeId lead) {
  reset(term);
  role_ = Role::kFollower;
  lead_ = lead;
}

void Raft::become_pre_candidate() {
  // Changes neither term nor vote: a pre-candidate that cannot win leaves no trace. It does
  // forget its leader, so it grants other pre-votes instead of defending a dead leader.
  role_ = Role::kPreCandidate;
  lead_ = kNoNode;
  tracker_.reset_votes();
  reset_randomized_election_timeout();
}

void Raft::become_candidate() {
  reset(term_ + 1);
  vote_ = id_;
  role_ = Role::kCandidate;
}

void Raft::become_leader() {
  reset(term_);
  role_ = Role::kLeader;
  lead_ = id_;
  if (auto* self = tracker_.progress(id_)) self->become_replicate();
  // Any configuration entry in our log may be uncommitted: no new change until our own
  // no-op (and so everything before it) commits.
  pending_conf_index_ = log_.last_index();
  // An entry of the new term: committing it commits everything before it (Figure 8), and
  // until it commits the leader defers reads.
  append_entry(EntryType::kNormal, {});
  broadcast_append();
}

bool Raft::promotable() const {
  const Progress* self = tracker_.progress(id_);
  if (self != nullptr && !self->is_learner && tracker_.is_voter(id_)) return true;
  // Not a voter of the latest configuration, but that one is not committed yet: the node
  // may still be needed for a quorum of the older one (the outgoing half of a joint
  // configuration), and if it never stood, nobody might win (thesis §4.2.2: such a server
  // "should still start new elections ... until the Cnew entry is committed"). Elections
  // use the latest configuration, so its own vote does not count.
  const ConfState committed = conf_at(log_.committed());
  auto has = [this](const std::vector<NodeId>& v) {
    return std::find(v.begin(), v.end(), id_) != v.end();
  };
  return has(committed.voters) || has(committed.voters_outgoing);
}

// ---------------------------------------------------------------------------------------
// Time

void Raft::tick() {
  if (role_ == Role::kLeader) {
    tick_heartbeat();
  } else {
    tick_election();
  }
}

void Raft::tick_election() {
  count_election_tick();
  if (promotable() && past_election_timeout()) {
    election_elapsed_ = 0;
    campaign();
  }
}

void Raft::tick_heartbeat() {
  ++heartbeat_elapsed_;
  count_election_tick();
  if (lead_transferee_ != kNoNode && ++transfer_elapsed_ >= config_.election_tick) {
    lead_transferee_ = kNoNode;  // the target did not take over in time: lead on
    transfer_elapsed_ = 0;
  }
  if (election_elapsed_ >= config_.election_tick) {
    election_elapsed_ = 0;
    if (config_.check_quorum) {
      if (!tracker_.quorum_active(id_)) {
        become_follower(term_, kNoNode);
        return;
      }
      for (auto& [id, pr] : tracker_.all()) {
        if (id != id_) pr.recent_active = false;
      }
    }
  }
  if (heartbeat_elapsed_ >= config_.heartbeat_tick) {
    heartbeat_elapsed_ = 0;
    // Reads still waiting ride on a fresh round, so a lost heartbeat is retried.
    broadcast_heartbeat(reads_.empty() ? 0 : reads_.start_round());
  }
}

// ---------------------------------------------------------------------------------------
// Elections

void Raft::campaign() {
  if (role_ == Role::kLeader || !promotable()) return;
  start_election(config_.pre_vote);
}

void Raft::start_election(bool pre_vote, bool transfer) {
  Term vote_term;
  MessageType type;
  if (pre_vote) {
    become_pre_candidate();
    vote_term = term_ + 1;
    type = MessageType::kPreVote;
  } else {
    become_candidate();
    vote_term = term_;
    type = MessageType::kVote;
  }
  if (pre_vote) {
    // A pre-vote changes no state: it may count itself at once.
    tracker_.record_vote(id_, true);
    if (tracker_.tally_votes() == VoteResult::kWon) {  // a single-voter cluster
      poll_votes();
      return;
    }
  } else {
    // A real vote counts only once the new term and the vote for ourselves are durable
    // (advance() of the batch that carries them), like every other vote: otherwise a
    // crash before the fsync could leave us leader of a term in which, restarted with the
    // old term, we then vote for someone else. (A single voter would win at once.)
    self_vote_pending_ = true;
  }
  for (NodeId id : tracker_.members()) {
    if (id == id_ || !tracker_.is_voter(id)) continue;
    Message m;
    m.type = type;
    m.to = id;
    m.term = vote_term;
    m.index = log_.last_index();
    m.log_term = log_.last_term();
    m.transfer = transfer;
    send(std::move(m));
  }
}

void Raft::poll_votes() {
  switch (tracker_.tally_votes()) {
    case VoteResult::kWon:
      if (role_ == Role::kPreCandidate) {
        start_election(false);
      } else {
        become_leader();
      }
      break;
    case VoteResult::kLost:
      become_follower(term_, kNoNode);
      break;
    case VoteResult::kPending:
      break;
  }
}

void Raft::handle_vote_request(const Message& m) {
  bool pre = m.type == MessageType::kPreVote;
  // One vote per term; a pre-vote promises nothing, so it only needs a newer term. With
  // vote_only_when_configured, a node with no configuration (one joining, possibly under
  // the id of a removed member whose data was wiped) has no log and no memory of the votes
  // that id cast: it grants none, or a stale candidate that still counts the id as a voter
  // could win a term that already has a leader (found by the whole-node simulation).
  const bool configured = !config_.vote_only_when_configured || !tracker_.conf().voters.empty();
  bool can_vote = configured && (vote_ == m.from || (vote_ == kNoNode && lead_ == kNoNode) ||
                                 (pre && m.term > term_));
  bool up_to_date = bugs_.skip_election_restriction || log_.is_up_to_date(m.index, m.log_term);
  Message r;
  r.type = pre ? MessageType::kPreVoteResp : MessageType::kVoteResp;
  r.to = m.from;
  if (can_vote && up_to_date) {
    // A granted pre-vote carries the future term, so the pre-candidate counts it.
    r.term = pre ? m.term : term_;
    if (!pre) {
      election_elapsed_ = 0;
      vote_ = m.from;
    }
  } else {
    r.term = term_;
    r.reject = true;
  }
  send(std::move(r));
}

// ---------------------------------------------------------------------------------------
// Messages

void Raft::step(const Message& m) {
  if (m.type == MessageType::kHup) {
    campaign();
    return;
  }
  if (m.term > term_) {
    bool vote_request = m.type == MessageType::kVote || m.type == MessageType::kPreVote;
    if (vote_request && !m.transfer && config_.check_quorum && lead_ != kNoNode &&
        election_elapsed_ < config_.election_tick) {
      // We heard from a live leader within the minimum election timeout: this candidate
      // is disruptive (e.g. just back from a partition). Ignore it without raising our term.
      ++dropped_messages_;
      return;
    }
    if (m.type == MessageType::kPreVote || (m.type == MessageType::kPreVoteResp && !m.reject)) {
      // Pre-votes and granted pre-vote answers carry a prospective term: no change.
    } else if (m.type == MessageType::kApp || m.type == MessageType::kHeartbeat ||
               m.type == MessageType::kSnapshot) {
      become_follower(m.term, m.from);
    } else {
      become_follower(m.term, kNoNode);
    }
  } else if (m.term < term_) {
    if (m.type == MessageType::kApp || m.type == MessageType::kHeartbeat) {
      // A stale leader (for example one back from a partition whose prevotes keep our term
      // from reaching it): tell it our term so it steps down.
      Message r;
      r.type = MessageType::kAppResp;
      r.to = m.from;
      r.term = term_;
      r.reject = true;
      send(std::move(r));
    } else if (m.type == MessageType::kPreVote) {
      Message r;
      r.type = MessageType::kPreVoteResp;
      r.to = m.from;
      r.term = term_;
      r.reject = true;
      send(std::move(r));
    }
    ++dropped_messages_;
    return;
  }

  if (m.type == MessageType::kVote || m.type == MessageType::kPreVote) {
    handle_vote_request(m);
    return;
  }
  switch (role_) {
    case Role::kLeader:
      step_leader(m);
      break;
    case Role::kCandidate:
    case Role::kPreCandidate:
      step_candidate(m);
      break;
    case Role::kFollower:
      step_follower(m);
      break;
  }
}

void Raft::step_leader(const Message& m) {
  if (m.type == MessageType::kReadIndex) {
    handle_read_index_request(m);
    return;
  }
  Progress* pr = tracker_.progress(m.from);
  if (pr == nullptr || m.from == id_) {
    ++dropped_messages_;
    return;
  }
  switch (m.type) {
    case MessageType::kAppResp:
      pr->recent_active = true;
      handle_append_response(m, *pr);
      break;
    case MessageType::kHeartbeatResp:
      pr->recent_active = true;
      handle_heartbeat_response(m, *pr);
      break;
    default:
      ++dropped_messages_;  // e.g. late vote responses
      break;
  }
}

void Raft::step_candidate(const Message& m) {
  switch (m.type) {
    case MessageType::kApp:
      become_follower(m.term, m.from);
      handle_append(m);
      break;
    case MessageType::kHeartbeat:
      become_follower(m.term, m.from);
      handle_heartbeat(m);
      break;
    case MessageType::kSnapshot:
      become_follower(m.term, m.from);
      handle_snapshot(m);
      break;
    case MessageType::kPreVoteResp:
    case MessageType::kVoteResp: {
      bool expected = (role_ == Role::kPreCandidate) == (m.type == MessageType::kPreVoteResp);
      if (!expected) {
        ++dropped_messages_;
        break;
      }
      tracker_.record_vote(m.from, !m.reject);
      poll_votes();
      break;
    }
    default:
      ++dropped_messages_;
      break;
  }
}

void Raft::step_follower(const Message& m) {
  switch (m.type) {
    case MessageType::kApp:
      election_elapsed_ = 0;
      lead_ = m.from;
      handle_append(m);
      break;
    case MessageType::kHeartbeat:
      election_elapsed_ = 0;
      lead_ = m.from;
      handle_heartbeat(m);
      break;
    case MessageType::kSnapshot:
      election_elapsed_ = 0;
      lead_ = m.from;
      handle_snapshot(m);
      break;
    case MessageType::kReadIndexResp:
      read_states_.push_back(ReadState{m.index, m.context});
      break;
    case MessageType::kTimeoutNow:
      // The leader hands over: campaign at once, skipping PreVote, and have voters ignore
      // their lease (the leader asked for this election).
      if (promotable()) start_election(false, true);
      break;
    default:
      ++dropped_messages_;
      break;
  }
}

// ---------------------------------------------------------------------------------------
// Replication, follower side

void Raft::handle_append(const Message& m) {
  Message r;
  r.type = MessageType::kAppResp;
  r.to = m.from;
  r.term = term_;
  if (m.index < log_.committed()) {
    // Stale (reordered or duplicated): everything up to our commit index matches.
    r.index = log_.committed();
    send(std::move(r));
    return;
  }
  Index conflict = log_.match_term(m.index, m.log_term) ? log_.find_conflict(m.entries) : 0;
  if (auto last = log_.maybe_append(m.index, m.log_term, m.entries, m.term,
                                    bugs_.truncate_matching_suffix)) {
    if (conflict != 0) record_conf_entries(m.entries, conflict);
    log_.commit_to(std::min(m.commit, *last));
    r.index = *last;
  } else {
    // Conflict hint: the last index at or before the probe whose term could match the
    // leader's (term <= the leader's prev term). The leader then skips whole terms.
    Index hint = log_.find_conflict_by_term(std::min(m.index, log_.last_index()), m.log_term);
    r.index = m.index;
    r.reject = true;
    r.reject_hint = hint;
    r.hint_term = log_.term(hint).value_or(0);
  }
  send(std::move(r));
}

void Raft::handle_heartbeat(const Message& m) {
  // The leader never sends a commit index above this follower's known match.
  log_.commit_to(std::min(m.commit, log_.last_index()));
  Message r;
  r.type = MessageType::kHeartbeatResp;
  r.to = m.from;
  r.term = term_;
  r.read_seq = m.read_seq;
  send(std::move(r));
}

void Raft::handle_snapshot(const Message& m) {
  Message r;
  r.type = MessageType::kAppResp;
  r.to = m.from;
  r.term = term_;
  if (!m.snapshot) {
    ++dropped_messages_;
    return;
  }
  const SnapshotMeta& meta = m.snapshot->meta;
  if (meta.index <= log_.committed() && !bugs_.install_stale_snapshot) {
    r.index = log_.committed();
  } else if (log_.match_term(meta.index, meta.term)) {
    // We already hold the snapshot's last entry: just learn that it is committed. Answer
    // with what is known to match the leader — the committed prefix — not our last index:
    // entries after the snapshot may be a deposed leader's and must not count as replicated.
    log_.commit_to(meta.index);
    r.index = log_.committed();
  } else {
    log_.restore(*m.snapshot, m.term);
    base_conf_ = meta.conf;
    conf_history_.clear();
    refresh_conf();
    r.index = log_.last_index();
  }
  send(std::move(r));
}

// ---------------------------------------------------------------------------------------
// Replication, leader side

void Raft::append_entry(EntryType type, std::string data) {
  Entry e;
  e.term = term_;
  e.index = log_.last_index() + 1;
  e.type = type;
  e.data = std::move(data);
  const Index index = e.index;
  if (e.type == EntryType::kConfChange) {
    log_.append({e});
    record_conf_entries({std::move(e)}, index);
  } else {
    log_.append(std::move(e));
  }
  // The leader's own copy counts once persisted: see advance().
}

Result<Proposed, ProposeError> Raft::propose(std::string data) {
  if (role_ != Role::kLeader) return ProposeError::kNotLeader;
  if (lead_transferee_ != kNoNode) return ProposeError::kTransferring;
  append_entry(EntryType::kNormal, std::move(data));
  append_pending_ = true;
  return Proposed{log_.last_index(), term_};
}

bool Raft::send_append(NodeId to, bool send_if_empty) {
  if (role_ != Role::kLeader) return false;  // e.g. just stepped down after a conf change
  Progress* pr = tracker_.progress(to);
  if (pr == nullptr || pr->is_paused()) return false;
  Index prev = pr->next - 1;
  auto prev_term = log_.term(prev);
  auto ents = log_.slice(pr->next, log_.last_index() + 1, config_.max_size_per_msg);
  // The entries the follower needs are compacted: send the snapshot instead.
  if (!prev_term || !ents.ok()) return send_snapshot(to, *pr);
  if (ents->empty() && !send_if_empty) return false;
  Message m;
  m.type = MessageType::kApp;
  m.to = to;
  m.term = term_;
  m.index = prev;
  m.log_term = *prev_term;
  m.entries = std::move(ents).value();
  m.commit = log_.committed();
  if (!m.entries.empty()) {
    pr->sent_entries(m.entries.back().index);
  } else if (pr->state == ProgressState::kProbe) {
    pr->probe_sent = true;
  }
  send(std::move(m));
  return true;
}

bool Raft::send_snapshot(NodeId to, Progress& pr) {
  Snapshot snap = storage_->snapshot();
  if (snap.empty()) return false;  // not ready yet; retried on the next heartbeat
  Message m;
  m.type = MessageType::kSnapshot;
  m.to = to;
  m.term = term_;
  pr.become_snapshot(snap.meta.index);
  m.snapshot = std::move(snap);
  send(std::move(m));
  return true;
}

void Raft::broadcast_append() {
  for (NodeId id : tracker_.members()) {
    if (id != id_) send_append(id);
  }
}

void Raft::send_heartbeat(NodeId to, uint64_t read_seq) {
  const Progress* pr = tracker_.progress(to);
  Message m;
  m.type = MessageType::kHeartbeat;
  m.to = to;
  m.term = term_;
  // Never tell a follower to commit past what it is known to hold: its entries beyond
  // `match` may still be from a deposed leader.
  m.commit = std::min(pr->match, log_.committed());
  m.read_seq = read_seq;
  send(std::move(m));
}

void Raft::broadcast_heartbeat(uint64_t read_seq) {
  for (NodeId id : tracker_.members()) {
    if (id != id_) send_heartbeat(id, read_seq);
  }
}

void Raft::handle_append_response(const Message& m, Progress& pr) {
  if (m.reject) {
    Index next_probe = m.reject_hint;
    if (m.hint_term > 0) next_probe = log_.find_conflict_by_term(m.reject_hint, m.hint_term);
    if (pr.maybe_decrease_to(m.index, next_probe)) {
      if (pr.state == ProgressState::kReplicate) pr.become_probe();
      send_append(m.from);
    }
    return;
  }
  bool was_paused = pr.is_paused();
  if (!pr.maybe_update(m.index)) return;  // stale or duplicate acknowledgement
  switch (pr.state) {
    case ProgressState::kProbe:
      pr.become_replicate();
      break;
    case ProgressState::kSnapshot:
      if (pr.match >= pr.pending_snapshot) {
        pr.become_probe();
        pr.become_replicate();
      }
      break;
    case ProgressState::kReplicate:
      pr.inflights.free_le(m.index);
      break;
  }
  if (maybe_commit()) {
    broadcast_append();
  } else if (was_paused) {
    send_append(m.from);
  }
  while (send_append(m.from, false)) {
  }
  // Re-read the progress: committing may have changed the configuration (and the map).
  const Progress* now = tracker_.progress(m.from);
  if (now && m.from == lead_transferee_ && now->match == log_.last_index()) {
    send_timeout_now(m.from);
  }
}

void Raft::handle_heartbeat_response(const Message& m, Progress& pr) {
  pr.probe_sent = false;  // the follower is reachable: allow the next probe
  if (pr.state == ProgressState::kSnapshot && ++pr.snapshot_heartbeats >= config_.election_tick) {
    // The follower answers but has not acknowledged its snapshot for an election timeout:
    // the snapshot or the acknowledgement was lost (a dropped message, a follower that
    // crashed before persisting it). Send it again; a follower that holds it answers with
    // its commit index. A transport that streams snapshots keeps a transfer of the same
    // snapshot that is still under way.
    send_snapshot(m.from, pr);
  }
  if (pr.state == ProgressState::kReplicate && pr.inflights.full()) pr.inflights.free_first_one();
  if (pr.match < log_.last_index()) send_append(m.from);
  if (m.read_seq > pr.read_seq_acked) {
    pr.read_seq_acked = m.read_seq;
    release_reads(
        reads_.take_confirmed([this](uint64_t seq) { return tracker_.read_confirmed(id_, seq); }));
  }
}

bool Raft::maybe_commit() {
  Index idx = tracker_.committed();
  bool advanced;
  if (bugs_.commit_previous_term) {
    // Injected bug (Figure 8): count replicas for an entry of any term.
    advanced = idx > log_.committed() && idx <= log_.last_index();
    if (advanced) log_.commit_to(idx);
  } else {
    advanced = log_.maybe_commit(idx, term_);
  }
  if (advanced) maybe_finish_conf_change();
  if (advanced && role_ == Role::kLeader && !deferred_reads_.empty() &&
      committed_entry_in_current_term()) {
    auto deferred = std::move(deferred_reads_);
    deferred_reads_.clear();
    for (auto& r : deferred) add_read(std::move(r.context), r.requester);
  }
  return advanced;
}

bool Raft::committed_entry_in_current_term() const {
  return log_.term(log_.committed()).value_or(0) == term_;
}

// ---------------------------------------------------------------------------------------
// Linearizable reads

Result<void, ProposeError> Raft::read_index(std::string context) {
  if (role_ != Role::kLeader) {
    if (lead_ == kNoNode) return ProposeError::kNotLeader;
    Message m;
    m.type = MessageType::kReadIndex;
    m.to = lead_;
    m.term = term_;
    m.context = std::move(context);
    send(std::move(m));
    return {};
  }
  if (bugs_.unconfirmed_reads) {
    read_states_.push_back(ReadState{log_.committed(), std::move(context)});
    return {};
  }
  add_read(std::move(context), kNoNode);
  return {};
}

void Raft::handle_read_index_request(const Message& m) {
  add_read(m.context, m.from);
}

void Raft::add_read(std::string context, NodeId requester) {
  if (!committed_entry_in_current_term()) {
    // Our commit index may lag the previous leader's until our no-op commits. A read a
    // follower forwarded waits too: dropping it would leave its client waiting out its
    // whole request timeout.
    deferred_reads_.push_back(DeferredRead{std::move(context), requester});
    return;
  }
  reads_.add(std::move(context), log_.committed(), requester);
  release_reads(reads_.take_confirmed(  // a single voter confirms itself
      [this](uint64_t seq) { return tracker_.read_confirmed(id_, seq); }));
}

void Raft::release_reads(std::vector<PendingRead> reads) {
  for (auto& r : reads) {
    if (r.requester == kNoNode) {
      read_states_.push_back(ReadState{r.index, std::move(r.context)});
    } else {
      Message m;
      m.type = MessageType::kReadIndexResp;
      m.to = r.requester;
      m.term = term_;
      m.index = r.index;
      m.context = std::move(r.context);
      send(std::move(m));
    }
  }
}

// ---------------------------------------------------------------------------------------
// Output

void Raft::send(Message m) {
  m.from = id_;
  // Vote requests and answers depend on the term and vote being durable; a follower's
  // acknowledgement promises its entries are. Everything else may leave at once.
  bool after_persist = m.type == MessageType::kVote || m.type == MessageType::kVoteResp ||
                       m.type == MessageType::kAppResp;
  if (after_persist && m.type == MessageType::kAppResp && !m.reject &&
      !msgs_after_persist_.empty()) {
    // Acknowledgements are cumulative and all of one batch leave together: one for the
    // highest index says everything the earlier ones said. Under load a follower steps
    // several appends per disk write; this keeps it to one answer per write.
    Message& prev = msgs_after_persist_.back();
    if (prev.type == MessageType::kAppResp && !prev.reject && prev.to == m.to &&
        prev.term == m.term && prev.index <= m.index) {
      prev = std::move(m);
      return;
    }
  }
  (after_persist ? msgs_after_persist_ : msgs_).push_back(std::move(m));
}

void Raft::flush_broadcasts() {
  if (role_ != Role::kLeader) return;
  if (append_pending_) {
    append_pending_ = false;
    broadcast_append();
  }
  if (reads_.round_needed()) broadcast_heartbeat(reads_.start_round());
}

std::vector<Message> Raft::take_messages() {
  flush_broadcasts();
  std::vector<Message> out = std::move(msgs_);
  msgs_.clear();
  return out;
}

Index Raft::applied_after(const std::vector<Entry>& committed) const {
  return committed.empty() ? log_.applying() : committed.back().index;
}

bool Raft::has_ready() const {
  if (!msgs_.empty() || !msgs_after_persist_.empty()) return true;
  if (role_ == Role::kLeader && (append_pending_ || reads_.round_needed())) return true;
  if (log_.has_entries_to_persist() || log_.snapshot_to_persist()) return true;
  if (HardState{term_, vote_, log_.committed()} != prev_hard_state_) return true;
  if (log_.has_next_committed_entries()) return true;
  for (const auto& rs : read_states_) {
    if (rs.index <= log_.applying()) return true;
  }
  return false;
}

Ready Raft::ready() {
  flush_broadcasts();
  Ready rd;
  HardState hs{term_, vote_, log_.committed()};
  if (hs != prev_hard_state_) rd.hard_state = hs;
  prev_hard_state_ = hs;  // later Readies carry only what changes after this one
  rd.snapshot = log_.snapshot_to_persist();
  rd.entries = log_.entries_to_persist();
  rd.accepted_term = log_.accepted_term();
  log_.accept_unstable();
  rd.messages = std::move(msgs_);
  msgs_.clear();
  rd.messages_after_persist = std::move(msgs_after_persist_);
  msgs_after_persist_.clear();
  rd.committed_entries = log_.next_committed_entries();
  if (!rd.committed_entries.empty()) log_.accept_applying(rd.committed_entries.back().index);
  Index applied = applied_after(rd.committed_entries);
  if (rd.snapshot) applied = std::max(applied, rd.snapshot->meta.index);
  auto keep = std::partition(read_states_.begin(), read_states_.end(),
                             [applied](const ReadState& rs) { return rs.index > applied; });
  rd.read_states.assign(std::make_move_iterator(keep), std::make_move_iterator(read_states_.end()));
  read_states_.erase(keep, read_states_.end());
  return rd;
}

void Raft::advance(const Ready& rd) {
  if (self_vote_pending_ && role_ == Role::kCandidate && rd.hard_state &&
      rd.hard_state->term == term_ && rd.hard_state->vote == id_) {
    self_vote_pending_ = false;
    tracker_.record_vote(id_, true);
    poll_votes();
  }
  if (rd.snapshot) {
    log_.stable_snapshot_to(rd.snapshot->meta.index);
    if (rd.snapshot->meta.index > log_.applied()) log_.applied_to(rd.snapshot->meta.index);
  }
  if (!rd.entries.empty()) {
    const Term accepted = bugs_.ignore_accepted_term ? log_.accepted_term() : rd.accepted_term;
    log_.stable_to(rd.entries.back().index, rd.entries.back().term, accepted);
  }
  if (!rd.committed_entries.empty()) log_.applied_to(rd.committed_entries.back().index);
  if (role_ == Role::kLeader) {
    Progress* self = tracker_.progress(id_);
    if (self != nullptr && self->maybe_update(log_.stable_last_index()) && maybe_commit()) {
      broadcast_append();
    }
  }
}

// ---------------------------------------------------------------------------------------
// Membership

void Raft::load_conf_history() {
  conf_history_.clear();
  Index first = log_.first_index(), last = log_.last_index();
  if (first > last) return;
  auto ents = log_.slice(first, last + 1, UINT64_MAX);
  if (ents.ok()) record_conf_entries(*ents, first);
}

void Raft::record_conf_entries(const std::vector<Entry>& entries, Index from) {
  // Entries from `from` on replaced whatever was there: forget configurations they
  // overwrote, then take the ones they bring. A configuration counts once appended.
  conf_history_.erase(conf_history_.lower_bound(from), conf_history_.end());
  for (const Entry& e : entries) {
    if (e.index < from || e.type != EntryType::kConfChange) continue;
    if (auto cc = decode_conf_change(e.data)) {
      conf_history_[e.index] = std::move(*cc);
    } else {
      ++dropped_messages_;  // undecodable: cannot come from a correct leader; ignore it
    }
  }
  refresh_conf();
}

const ConfChange* Raft::latest_conf_change() const {
  return conf_history_.empty() ? nullptr : &conf_history_.rbegin()->second;
}

void Raft::refresh_conf() {
  const ConfChange* latest = latest_conf_change();
  const ConfState& conf = latest ? latest->conf : base_conf_;
  if (conf == tracker_.conf()) return;
  tracker_.set_conf(conf, log_.last_index() + 1);
  if (Progress* self = tracker_.progress(id_); self && role_ == Role::kLeader) {
    self->match = std::max(self->match, log_.stable_last_index());
  }
}

ConfState Raft::conf_at(Index index) const {
  auto it = conf_history_.upper_bound(index);
  if (it == conf_history_.begin()) return base_conf_;
  return std::prev(it)->second.conf;
}

Result<Proposed, ProposeError> Raft::propose_conf_change(const ConfState& target,
                                                         std::string context) {
  if (role_ != Role::kLeader) return ProposeError::kNotLeader;
  if (lead_transferee_ != kNoNode) return ProposeError::kTransferring;
  const ConfState& cur = tracker_.conf();
  // One change at a time, and only once an entry of this term has committed: otherwise a
  // change from an older term, not yet committed, could still be replaced (the bug found
  // in single-server changes; the same rule keeps joint changes simple).
  bool in_flight =
      cur.joint() || pending_conf_index_ > log_.committed() || !committed_entry_in_current_term();
  if (in_flight && !bugs_.allow_concurrent_conf_changes) {
    return ProposeError::kConfChangePending;
  }
  auto next = membership::enter(cur, target, bugs_.skip_joint_consensus);
  if (!next) return next.error();
  ConfChange cc;
  cc.conf = std::move(next).value();
  cc.context = std::move(context);
  append_entry(EntryType::kConfChange, encode_conf_change(cc));
  pending_conf_index_ = log_.last_index();
  append_pending_ = true;
  return Proposed{log_.last_index(), term_};
}

void Raft::maybe_finish_conf_change() {
  if (role_ != Role::kLeader || pending_conf_index_ > log_.committed()) return;
  const ConfState& conf = tracker_.conf();
  if (conf.joint()) {
    // C(old,new) is committed: move on to C(new), carrying the same context.
    const ConfChange* latest = latest_conf_change();
    ConfChange leave;
    leave.conf = membership::leave(conf);
    leave.context = latest ? latest->context : std::string();
    append_entry(EntryType::kConfChange, encode_conf_change(leave));
    pending_conf_index_ = log_.last_index();
    append_pending_ = true;
  } else if (!tracker_.is_voter(id_)) {
    // C(new) without us is committed: our job is done. Hand over to the most up-to-date
    // remaining voter at once (TimeoutNow) instead of leaving the cluster to wait out an
    // election timeout, then step down.
    NodeId successor = kNoNode;
    Index best = 0;
    for (const auto& [id, pr] : tracker_.all()) {
      if (id != id_ && tracker_.is_voter(id) && pr.match >= best) {
        successor = id;
        best = pr.match;
      }
    }
    if (successor != kNoNode) {
      send_append(successor);  // carries the commit index of C(new)
      send_timeout_now(successor);
    }
    become_follower(term_, kNoNode);
  }
}

Result<void, ProposeError> Raft::transfer_leadership(NodeId target) {
  if (role_ != Role::kLeader) return ProposeError::kNotLeader;
  if (target == id_) return {};
  if (!tracker_.is_voter(target)) return ProposeError::kInvalidConf;
  lead_transferee_ = target;
  transfer_elapsed_ = 0;
  const Progress* pr = tracker_.progress(target);
  if (pr->match == log_.last_index()) {
    send_timeout_now(target);
  } else {
    send_append(target);
  }
  return {};
}

void Raft::report_unreachable(NodeId id) {
  if (role_ != Role::kLeader || id == id_) return;
  Progress* pr = tracker_.progress(id);
  if (pr != nullptr && pr->state == ProgressState::kReplicate) pr->become_probe();
}

void Raft::send_timeout_now(NodeId to) {
  Message m;
  m.type = MessageType::kTimeoutNow;
  m.to = to;
  m.term = term_;
  send(std::move(m));
}

Status Raft::status() const {
  Status s;
  s.id = id_;
  s.role = role_;
  s.term = term_;
  s.vote = vote_;
  s.leader = lead_;
  s.commit = log_.committed();
  s.applied = log_.applied();
  s.last_index = log_.last_index();
  s.conf = tracker_.conf();
  s.lead_transferee = lead_transferee_;
  for (const auto& [id, pr] : tracker_.all()) {
    s.progress.emplace(id, PeerProgress{pr.match, pr.next, pr.state, pr.recent_active,
                                        pr.is_learner, pr.pending_snapshot, pr.inflights.count()});
  }
  return s;
}

}  // namespace raftkv::raft
