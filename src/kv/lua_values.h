// Redis's conversions between RESP replies and Lua values (the EVAL family, lua_engine.h).
//
// RESP -> Lua (what redis.call returns): integer -> number, bulk -> string, nil bulk and nil
// array -> false, array -> table, status -> {ok=text}, error -> {err=text}; after
// redis.setresp(3), RESP3's types too (push_resp_reply).
// Lua -> RESP (a script's result): number -> integer (truncated), string -> bulk, true -> 1,
// false and nil -> nil bulk, {err=...} -> error, {ok=...} -> status, any other table -> an
// array of its elements 1, 2, ... up to the first nil; other types -> nil bulk.
#pragma once

#include <string_view>

#include "kv/lua_api.h"
#include "kv/resp_writer.h"

namespace raftkv::kv {

// Pushes the Lua value of one complete RESP reply (as RespWriter writes it). Returns whether
// the reply was an error (the pushed value is then {err=...}). Called from Lua (may raise).
// After redis.setresp(3) the reply is RESP3 (resp3.h) and converts as Redis 7.0 does: map ->
// {map={k=v}}, set -> {set={m=true}}, double -> {double=n}, null -> nil, boolean ->
// boolean, verbatim -> {verbatim_string={format=, string=}}, big number -> {big_number=s}.
bool push_resp_reply(lua_State* L, std::string_view reply);

// Appends the RESP reply of the Lua value at the top of the stack, which it leaves there.
// Raises nothing and allocates no Lua memory. Tables nested deeper than 200 levels (or a
// table containing itself) answer an error instead.
// Tables {double=n}, {big_number=s}, {verbatim_string={format=, string=}}, {map=t} and
// {set=t} become RESP3's types, and after redis.setresp(3) (`resp3`) booleans become RESP3
// booleans, as in Redis 7.0: the reply may then hold RESP3 types, which a RESP2 connection
// gets converted back (resp3.h, to_resp2).
void write_lua_value(lua_State* L, RespWriter* out, bool resp3 = false);

// A Lua number as Redis converts it to an integer: truncated toward zero, and what x86-64
// gives for values out of range or NaN (INT64_MIN).
int64_t lua_number_to_integer(double value);

}  // namespace raftkv::kv
