// The in-tree spelling of the public header (other components include "raft/node.h").
#pragma once

#include "raftkv/raft/node.h"  // IWYU pragma: export
