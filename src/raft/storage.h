// The in-tree spelling of the public header (other components include "raft/storage.h").
#pragma once

#include "raftkv/raft/storage.h"  // IWYU pragma: export
