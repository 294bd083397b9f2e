#include "kv/function_library.h"

#include <algorithm>
#include <optional>

#include "kv/ascii.h"

namespace raftkv::kv {

namespace {

constexpr std::string_view kBadName =
    "ERR Library names can only contain letters, numbers, or underscores(_) and must be at "
    "least one character long";

// The shebang line's words as Redis splits them (blanks separate words; double quotes
// group blanks into one), or nullopt for an unbalanced quote.
std::optional<std::vector<std::string>> split_words(std::string_view line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    if (i == line.size()) break;
    std::string word;
    bool quoted = false;
    for (; i < line.size() && (quoted || (line[i] != ' ' && line[i] != '\t' && line[i] != '\r'));
         ++i) {
      if (line[i] == '"') {
        quoted = !quoted;
      } else {
        word += line[i];
      }
    }
    if (quoted) return std::nullopt;
    words.push_back(std::move(word));
  }
  return words;
}

bool valid_library_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

std::string parse_library_metadata(std::string_view code, std::string* name) {
  if (!code.starts_with("#!")) return "ERR Missing library metadata";
  const size_t end = code.find('\n');
  if (end == std::string_view::npos) return "ERR Invalid library metadata";
  const auto words = split_words(code.substr(2, end - 2));
  if (!words) return "ERR Invalid library metadata";
  // "#!  lua" has an empty engine, and "lua" is then a metadata word, as in Redis.
  const bool blank_engine = code.size() > 2 && (code[2] == ' ' || code[2] == '\t');
  const std::string engine = blank_engine || words->empty() ? "" : words->front();
  bool named = false;
  for (size_t i = blank_engine ? 0 : 1; i < words->size(); ++i) {
    const std::string& word = (*words)[i];
    if (word.size() < 5 || !equals_ignore_case(std::string_view(word).substr(0, 5), "name=")) {
      return "ERR Invalid metadata value given: " + word;
    }
    if (named) return "ERR Invalid metadata value, name argument was given multiple times";
    named = true;
    *name = word.substr(5);
  }
  if (!named) return "ERR Library name was not given";
  if (!valid_library_name(*name)) return std::string(kBadName);
  if (!equals_ignore_case(engine, "lua")) return "ERR Engine '" + engine + "' not found";
  return {};
}

std::string FunctionLibraries::load(std::string_view code, bool replace, const ScriptLimits& limits,
                                    std::string* name) {
  if (std::string error = parse_library_metadata(code, name); !error.empty()) return error;
  if (!replace && libraries_.contains(*name)) return "ERR Library '" + *name + "' already exists";
  FunctionLibrary library{*name, std::string(code), {}};
  if (std::string error = load_library(code, limits, &library.functions); !error.empty()) {
    return error;
  }
  if (library.functions.empty()) return "ERR No functions registered";
  for (const RegisteredFunction& f : library.functions) {
    const auto it = index_.find(ascii_lower(f.name));
    if (it != index_.end() && it->second != *name) {
      return "ERR Function " + f.name + " already exists";
    }
  }
  libraries_.insert_or_assign(*name, std::move(library));
  rebuild_index();
  return {};
}

bool FunctionLibraries::remove(std::string_view name) {
  const auto it = libraries_.find(name);
  if (it == libraries_.end()) return false;
  libraries_.erase(it);
  rebuild_index();
  return true;
}

void FunctionLibraries::clear() {
  libraries_.clear();
  index_.clear();
}

FunctionLibraries::Found FunctionLibraries::find(std::string_view name) const {
  const auto it = index_.find(ascii_lower(name));
  if (it == index_.end()) return {};
  const FunctionLibrary& library = libraries_.find(it->second)->second;
  for (const RegisteredFunction& f : library.functions) {
    if (equals_ignore_case(f.name, name)) return {&library, &f};
  }
  return {};
}

std::vector<std::string> FunctionLibraries::codes() const {
  std::vector<std::string> out;
  out.reserve(libraries_.size());
  for (const auto& [name, library] : libraries_) out.push_back(library.code);
  return out;
}

void FunctionLibraries::rebuild_index() {
  index_.clear();
  for (const auto& [name, library] : libraries_) {
    for (const RegisteredFunction& f : library.functions)
      index_.try_emplace(ascii_lower(f.name), name);
  }
}

}  // namespace raftkv::kv
