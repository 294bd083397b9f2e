// The in-tree spelling of the public header (other components include "raft/conf_change.h").
#pragma once

#include "raftkv/raft/conf_change.h"  // IWYU pragma: export
