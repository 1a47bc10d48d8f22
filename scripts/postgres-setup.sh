#!/usr/bin/env bash
# Finds or fetches the PostgreSQL server binaries (initdb, postgres, pg_ctl) the PostgreSQL tests
# run, without a system-wide install and without starting any service: the tests start a
# throwaway cluster of their own (tests/integration/postgres_support.rs).
#
#   1. A server already on the machine: /usr/lib/postgresql/<newest>/bin, or initdb on PATH.
#   2. Otherwise Debian's postgresql-15 package, fetched with `apt-get download` (no root needed
#      once the package lists exist) and unpacked with `dpkg -x` into .interop/postgres/root,
#      together with the shared libraries it needs that the machine lacks (their packages, found
#      from the Depends lists and checked with ldd); those go on LD_LIBRARY_PATH.
#
# Writes .interop/postgres/bin-dir (the directory holding initdb and postgres) and
# .interop/postgres/lib-path (an LD_LIBRARY_PATH value, empty when none is needed).
# TOLLGATE_PG_FROM_DEB=1 takes path 2 even when a server is installed (to test that path);
# TOLLGATE_PG_FROM_DEB=all also unpacks every library package the server depends on, installed or
# not (except the C and C++ runtimes), so the LD_LIBRARY_PATH route is exercised too.
# Safe to re-run: a finished setup is kept (delete .interop/postgres to start over).
set -euo pipefail
cd "$(dirname "$0")/.."
out=.interop/postgres
mkdir -p "$out"
from_deb=${TOLLGATE_PG_FROM_DEB:-}

works() { # bin-dir lib-path
    [ -x "$1/initdb" ] && [ -x "$1/postgres" ] && [ -x "$1/pg_ctl" ] &&
        LD_LIBRARY_PATH="$2" "$1/postgres" --version >/dev/null 2>&1 &&
        LD_LIBRARY_PATH="$2" "$1/initdb" --version >/dev/null 2>&1
}

record() { # bin-dir lib-path how
    printf '%s\n' "$1" >"$out/bin-dir"
    printf '%s\n' "$2" >"$out/lib-path"
    echo "postgres-setup: $("$1/postgres" --version 2>/dev/null || LD_LIBRARY_PATH="$2" "$1/postgres" --version) in $1 ($3)"
}

if [ -z "$from_deb" ]; then
    newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$newest" ] && works "$newest" ""; then
        record "$newest" "" "installed on this machine"
        exit 0
    fi
    if on_path=$(command -v initdb) && works "$(dirname "$(readlink -f "$on_path")")" ""; then
        record "$(dirname "$(readlink -f "$on_path")")" "" "on PATH"
        exit 0
    fi
fi

version=15
root="$(cd "$out" && pwd -P)/root"
bin="$root/usr/lib/postgresql/$version/bin"
multiarch=$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
libs="$root/usr/lib/$multiarch:$root/lib/$multiarch"
if [ -f "$out/deb-done" ] && [ "$(cat "$out/deb-done")" = "$from_deb" ] && works "$bin" "$libs"; then
    record "$bin" "$libs" "unpacked earlier from Debian's packages"
    exit 0
fi

rm -rf "$root" "$out/debs" "$out/deb-done"
mkdir -p "$root" "$out/debs"
if ! apt-cache show "postgresql-$version" >/dev/null 2>&1; then
    # No package lists yet (a fresh machine): they need root to refresh.
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq
    else
        echo "postgres-setup: no package lists for postgresql-$version; run 'sudo apt-get update' once" >&2
        exit 1
    fi
fi

# The library packages a package depends on (first alternative of each dependency).
lib_deps() {
    apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
        --no-enhances "$1" | sed -n 's/^ *|\{0,1\}Depends: \([^<]*\)$/\1/p' | grep '^lib' || true
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
# Never unpacked: the C and C++ runtimes must be the machine's own.
runtime='^(libc6|libgcc-s1|libstdc\+\+6)$'

wanted=("postgresql-$version")
queue=($(lib_deps "postgresql-$version"))
seen=" "
while [ ${#queue[@]} -gt 0 ]; do
    pkg=${queue[0]}
    queue=("${queue[@]:1}")
    case "$seen" in *" $pkg "*) continue ;; esac
    seen="$seen$pkg "
    [[ $pkg =~ $runtime ]] && continue
    if installed "$pkg"; then
        # In `all` mode only the server's own dependencies are unpacked, not theirs.
        [ "$from_deb" = all ] && wanted+=("$pkg")
        continue
    fi
    wanted+=("$pkg")
    queue+=($(lib_deps "$pkg"))
done
echo "postgres-setup: downloading ${wanted[*]} into $out/debs"
download() { (cd "$out/debs" && apt-get download -qq "$1" 2>/dev/null); }
refreshed=
for pkg in "${wanted[@]}"; do
    download "$pkg" && continue
    # An installed library whose exact version the lists no longer carry stays the machine's own.
    installed "$pkg" && continue
    # Lists older than the archive name versions it no longer has: refresh them once (root).
    if [ -z "$refreshed" ] && [ "$(id -u)" = 0 ]; then
        apt-get update -qq
        refreshed=1
        download "$pkg" && continue
    fi
    echo "postgres-setup: apt-get download $pkg failed" >&2
    exit 1
done
for deb in "$out"/debs/*.deb; do
    dpkg -x "$deb" "$root"
done

missing=$(for f in "$bin"/initdb "$bin"/postgres "$bin"/pg_ctl; do
    LD_LIBRARY_PATH="$libs" ldd "$f" | grep 'not found' || true
done | sort -u)
if [ -n "$missing" ]; then
    echo "postgres-setup: libraries still missing after unpacking:" >&2
    echo "$missing" >&2
    exit 1
fi
works "$bin" "$libs" || {
    echo "postgres-setup: the unpacked server does not run" >&2
    exit 1
}
printf '%s\n' "$from_deb" >"$out/deb-done"
record "$bin" "$libs" "unpacked from Debian's packages"
