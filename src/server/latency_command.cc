#include "server/latency_command.h"

#include <array>
#include <span>
#include <string_view>

#include "kv/ascii.h"
#include "kv/commands.h"
#include "kv/resp_writer.h"
#include "kv/transaction.h"
#include "server/command_stats.h"

namespace raftkv::server {
namespace {

constexpr std::string_view kDoctor =
    "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. "
    "You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable "
    "it. If we weren't in a deep space mission I'd suggest to take a look at "
    "https://redis.io/topics/latency-monitor.\n";

constexpr std::array<std::string_view, 17> kHelp = {
    "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the "
    "specified command names.",
    "    If no commands are specified then all histograms are replied.",
    "HELP",
    "    Prints this help.",
};

}  // namespace

std::string latency_command(const kv::Argv& argv, const CommandCounters& counters) {
  // An unknown subcommand, or a known one with the wrong number of words, as Redis's
  // command table refuses them: what is left is one of the subcommands below, each with
  // its number of words.
  static const kv::CommandSpec* const spec = kv::find_command("latency");
  if (std::string error = kv::queued_subcommand_error(*spec, argv); !error.empty()) {
    return kv::encode_error(error);
  }
  const std::string sub = kv::ascii_lower(argv[1]);
  if (sub == "histogram") return latency_histogram_reply(counters, std::span(argv).subspan(2));
  std::string out;
  kv::RespWriter w(&out);
  if (sub == "history" || sub == "latest") {
    w.array_header(0);
  } else if (sub == "graph") {
    w.error("ERR No samples available for event '" + argv[2] + "'");
  } else if (sub == "doctor") {
    w.bulk(kDoctor);
  } else if (sub == "reset") {
    w.integer(0);
  } else {
    w.help_lines(kHelp);
  }
  return out;
}

}  // namespace raftkv::server
