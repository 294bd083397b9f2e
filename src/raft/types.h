// The in-tree spelling of the public header (other components include "raft/types.h").
#pragma once

#include "raftkv/raft/types.h"  // IWYU pragma: export
