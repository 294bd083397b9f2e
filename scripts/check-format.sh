#!/usr/bin/env bash
# Every C++ source follows the project's .clang-format. Run by CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
while IFS= read -r -d '' f; do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f (run: clang-format -i $f)"
    bad=1
  fi
done < <(find src include tests tools bench examples \( -name '*.cc' -o -name '*.h' \) -print0 | sort -z)
if ((bad)); then exit 1; fi
echo "all sources formatted"
