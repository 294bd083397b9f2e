#!/usr/bin/env bash
# Installs the build in $1 into a temporary prefix and checks what landed there: the
# binary, the systemd unit (its ExecStart names the installed binary and configuration,
# and runs as the raftkv user), the sysusers.d entry and the example configuration, which
# the installed binary must accept (`raftkv serve --check-config`, the real parser).
set -euo pipefail
build=${1:?usage: install_test.sh BUILD_DIR}
prefix=$(mktemp -d /tmp/raftkv-install-XXXXXX)
trap 'rm -rf "$prefix"' EXIT
fail() { echo "install_test: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >/dev/null
unit=$prefix/lib/systemd/system/raftkv.service
config=$prefix/etc/raftkv/raftkv.toml
for f in "$prefix/bin/raftkv" "$unit" "$config" "$prefix/lib/sysusers.d/raftkv.conf" \
         "$prefix/share/doc/raftkv/operations.md"; do
  [[ -f $f ]] || fail "missing $f"
done
[[ -x $prefix/bin/raftkv ]] || fail "$prefix/bin/raftkv is not executable"

grep -qx "User=raftkv" "$unit" || fail "the unit does not run as the raftkv user"
grep -q '^u raftkv ' "$prefix/lib/sysusers.d/raftkv.conf" || fail "sysusers.d makes no raftkv user"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[[ $exec_start == "$prefix/bin/raftkv serve --config $config" ]] ||
  fail "ExecStart is '$exec_start', not the installed binary and configuration"

# The command the unit runs, told to check its configuration only.
read -r -a cmd <<<"$exec_start"
out=$("${cmd[@]}" --check-config 2>&1) || fail "the example configuration is refused: $out"
[[ $out == *"configuration ok"* ]] || fail "unexpected output: $out"

if command -v systemd-analyze >/dev/null 2>&1; then
  # Checks the unit's syntax and settings (not the user, which need not exist here); an
  # unknown or misplaced key is only a warning to systemd, and a failure here.
  out=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify: $out"
  [[ -z $out ]] || fail "systemd-analyze verify: $out"
fi
echo "install_test: ok ($prefix)"
