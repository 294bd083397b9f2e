#include "server/status_cli.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "net/peer_address.h"
#include "server/cli_parse.h"
#include "server/resp_call.h"

namespace raftkv::server {

namespace {

using Members = std::map<uint64_t, std::map<std::string, std::string>>;

uint64_t to_u64(std::string_view s) {
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;  // 0 when absent or malformed: shown as such rather than failing the row
}

std::string field(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? "" : it->second;
}

// What one node said: its row, and its view of the members (progress if it leads).
struct Answer {
  StatusRow row;
  Members members;
  uint64_t last_index = 0;
};

void fill_row(const std::map<std::string, std::string>& info, Answer* a) {
  StatusRow& r = a->row;
  r.id = to_u64(field(info, "raft_node_id"));
  r.role = field(info, "raft_role");
  r.term = to_u64(field(info, "raft_term"));
  r.leader = to_u64(field(info, "raft_leader_id"));
  r.commit = to_u64(field(info, "raft_commit_index"));
  r.applied = to_u64(field(info, "raft_applied_index"));
  a->last_index = to_u64(field(info, "raft_last_log_index"));
  const uint64_t first = to_u64(field(info, "log_first_index"));
  r.log_entries = a->last_index >= first && first > 0 ? a->last_index - first + 1 : 0;
  r.used_memory = to_u64(field(info, "used_memory"));
  // "db0:keys=N,expires=M,avg_ttl=0", absent while there are no keys.
  const std::string db0 = field(info, "db0");
  if (db0.starts_with("keys=")) r.keys = to_u64(std::string_view(db0).substr(5));
}

Answer ask(const std::string& endpoint, std::chrono::milliseconds timeout) {
  Answer a;
  a.row.endpoint = endpoint;
  auto addr = net::parse_peer_address(endpoint);
  if (!addr || addr->port == 0) {
    a.row.error = "'" + endpoint + "' is not HOST:PORT";
    return a;
  }
  std::string error;
  auto call = [&](std::vector<std::string> args) -> std::optional<std::string> {
    auto reply = resp_call(*addr, args, timeout, &error);
    if (reply && reply->starts_with("-")) {
      error = reply->substr(1);
      return std::nullopt;
    }
    return reply;
  };
  auto info = call({"INFO", "everything"});
  auto members = info ? call({"RAFT", "MEMBERS"}) : std::nullopt;
  if (!members) {
    a.row.error = error;
    return a;
  }
  fill_row(parse_info(*info), &a);
  a.members = parse_members(*members);
  a.row.peer = field(a.members[a.row.id], "peer");
  return a;
}

// The lag column, from the progress the leader (of the highest term asked) reports.
void add_lag(std::vector<Answer>& answers) {
  const Answer* leader = nullptr;
  for (const Answer& a : answers) {
    if (a.row.error.empty() && a.row.role == "leader" &&
        (!leader || a.row.term > leader->row.term)) {
      leader = &a;
    }
  }
  if (!leader) return;
  for (Answer& a : answers) {
    if (!a.row.error.empty()) continue;
    auto it = leader->members.find(a.row.id);
    if (it == leader->members.end() || !it->second.count("match")) continue;
    const uint64_t match = to_u64(it->second.at("match"));
    a.row.lag = leader->last_index > match ? leader->last_index - match : 0;
  }
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, sep);) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// --cluster: the client addresses of the members the first answering endpoint knows.
std::vector<std::string> discover(const std::vector<std::string>& endpoints,
                                  std::chrono::milliseconds timeout) {
  for (const std::string& e : endpoints) {
    Answer a = ask(e, timeout);
    if (!a.row.error.empty()) continue;
    std::vector<std::string> found;
    for (const auto& [id, m] : a.members) {
      const std::string client = field(m, "client");
      found.push_back(client.empty() || client == "-" ? "(member " + std::to_string(id) + ")"
                                                      : client);
    }
    return found;
  }
  return endpoints;  // nobody answered: show each failure
}

std::string mib(uint64_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

}  // namespace

std::map<std::string, std::string> parse_info(const std::string& text) {
  std::map<std::string, std::string> out;
  for (std::string line : split(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t colon = line.find(':');
    if (line.empty() || line[0] == '#' || colon == std::string::npos) continue;
    out[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return out;
}

Members parse_members(const std::string& text) {
  Members out;
  for (const std::string& line : split(text, '\n')) {
    std::map<std::string, std::string> fields;
    for (const std::string& word : split(line, ' ')) {
      const size_t eq = word.find('=');
      if (eq != std::string::npos) fields[word.substr(0, eq)] = word.substr(eq + 1);
    }
    if (fields.count("id")) out[to_u64(fields["id"])] = std::move(fields);
  }
  return out;
}

std::string render_status_table(const std::vector<StatusRow>& rows) {
  std::vector<std::vector<std::string>> cells{{"ENDPOINT", "ID", "PEER", "ROLE", "TERM", "LEADER",
                                               "COMMIT", "APPLIED", "LOG", "KEYS", "MEMORY", "LAG",
                                               "ERROR"}};
  for (const StatusRow& r : rows) {
    if (!r.error.empty()) {
      cells.push_back({r.endpoint, "", "", "", "", "", "", "", "", "", "", "", r.error});
      continue;
    }
    auto n = [](uint64_t v) { return std::to_string(v); };
    cells.push_back({r.endpoint, n(r.id), r.peer, r.role, n(r.term), n(r.leader), n(r.commit),
                     n(r.applied), n(r.log_entries), n(r.keys), mib(r.used_memory),
                     r.lag ? n(*r.lag) : "-", ""});
  }
  std::vector<size_t> width(cells[0].size(), 0);
  for (const auto& row : cells) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : cells) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) line += fmt::format("{:<{}}  ", row[c], width[c]);
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  return out;
}

std::string render_status_json(const std::vector<StatusRow>& rows) {
  // ordered_json: keys in the order written, the endpoint first, as a reader expects.
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const StatusRow& r : rows) {
    nlohmann::ordered_json j{{"endpoint", r.endpoint}};
    if (!r.error.empty()) {
      j["error"] = r.error;
    } else {
      j.update({{"id", r.id},
                {"peer", r.peer},
                {"role", r.role},
                {"term", r.term},
                {"leader", r.leader},
                {"commit_index", r.commit},
                {"applied_index", r.applied},
                {"log_entries", r.log_entries},
                {"keys", r.keys},
                {"used_memory", r.used_memory},
                {"lag", r.lag ? nlohmann::ordered_json(*r.lag) : nlohmann::ordered_json(nullptr)}});
    }
    out.push_back(std::move(j));
  }
  return out.dump(2) + "\n";
}

int run_status_command(int argc, const char* const* argv) {
  CLI::App app{"raftkv status: each member's role, term, indexes, log, keys and lag",
               "raftkv status"};
  std::string endpoints_text = "127.0.0.1:6379";
  std::string format = "table";
  bool cluster = false;
  int timeout_ms = 3000;
  app.add_option("--endpoints", endpoints_text, "members' client addresses, HOST:PORT,...")
      ->capture_default_str();
  app.add_option("-w,--write-out", format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_flag("--cluster", cluster, "show every member the first answering endpoint knows");
  app.add_option("--timeout-ms", timeout_ms, "give up on an endpoint after this long")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();
  ClientCredentials credentials;
  add_client_credential_options(app, &credentials);
  if (auto exit_code = parse_command_line(app, argc, argv, "raftkv status")) return *exit_code;
  set_client_credentials(credentials);

  const auto timeout = std::chrono::milliseconds(timeout_ms);
  std::vector<std::string> endpoints = split(endpoints_text, ',');
  if (cluster) endpoints = discover(endpoints, timeout);
  std::vector<Answer> answers;
  for (const std::string& e : endpoints) answers.push_back(ask(e, timeout));
  add_lag(answers);
  std::vector<StatusRow> rows;
  bool all_answered = true;
  for (Answer& a : answers) {
    all_answered = all_answered && a.row.error.empty();
    rows.push_back(std::move(a.row));
  }
  std::cout << (format == "json" ? render_status_json(rows) : render_status_table(rows));
  return all_answered ? 0 : 1;
}

}  // namespace raftkv::server
