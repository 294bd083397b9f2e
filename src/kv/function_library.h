// The replicated registry of Redis 7.0 function libraries (FUNCTION LOAD, FCALL;
// function_commands.h runs the commands on it).
//
// A library is its code: FUNCTION LOAD's argument, whose "#!lua name=<lib>" first line
// names it and whose body registers its functions when run (lua_engine.h, load_library).
// Everything else (the functions, their flags and descriptions) is derived from the code by
// loading it, which is deterministic, so the code is all that is stored: the snapshot (and
// FUNCTION DUMP, later) is codes(), in library-name order, and restoring loads each again.
// A load that fails changes nothing.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kv/lua_engine.h"

namespace raftkv::kv {

struct FunctionLibrary {
  std::string name;
  std::string code;
  std::vector<RegisteredFunction> functions;  // in the order the code registered them
  bool operator==(const FunctionLibrary&) const = default;
};

class FunctionLibraries {
 public:
  // FUNCTION LOAD [REPLACE]: empty with the library's name in `name`, or Redis 7.0's error
  // (state unchanged).
  std::string load(std::string_view code, bool replace, const ScriptLimits& limits,
                   std::string* name);
  // FUNCTION DELETE: whether the library was there.
  bool remove(std::string_view name);
  void clear();

  struct Found {
    const FunctionLibrary* library = nullptr;
    const RegisteredFunction* function = nullptr;
  };
  // The function named `name` (case-insensitive, as Redis looks functions up), or nulls.
  Found find(std::string_view name) const;

  // By library name.
  const std::map<std::string, FunctionLibrary, std::less<>>& libraries() const {
    return libraries_;
  }
  size_t function_count() const { return index_.size(); }
  // Every library's code, in library-name order: all there is to serialise.
  std::vector<std::string> codes() const;

  bool operator==(const FunctionLibraries& other) const { return libraries_ == other.libraries_; }

 private:
  void rebuild_index();

  std::map<std::string, FunctionLibrary, std::less<>> libraries_;
  // Lower-cased function name -> its library's name (the first registered wins).
  std::map<std::string, std::string, std::less<>> index_;
};

// The library name of a "#!lua name=<lib>" first line: empty with `name` set, or Redis
// 7.0's error ("ERR Missing library metadata", ...).
std::string parse_library_metadata(std::string_view code, std::string* name);

}  // namespace raftkv::kv
