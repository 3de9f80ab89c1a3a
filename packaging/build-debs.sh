#!/usr/bin/env bash
# Builds photoguard's Debian packages with cargo-deb and prints their paths,
# one a line, on stdout (everything else goes to stderr):
#
#   libapache2-mod-photoguard_<ver>_<arch>.deb  the module, photoguard.load and
#       photoguard.conf for a2enmod, the photoguard tool, its man pages and
#       bash/zsh completions (root package, [package.metadata.deb] in Cargo.toml)
#   libphotoguard<sover>_<ver>_<arch>.deb       the C library (crates/ffi, variant runtime)
#   libphotoguard-dev_<ver>_<arch>.deb          photoguard.h, libphotoguard.a, pkg-config
#
# Usage: packaging/build-debs.sh [OUTPUT_DIR]   (default: <target dir>/debian)
#
# It reuses what `cargo build --release` built (only what changed is rebuilt),
# generates the man pages and completions with the hidden `photoguard generate`,
# stages the C library with its SONAME, then runs `cargo deb --no-build` for
# each package. Needs cargo-deb, dpkg-dev, patchelf: `bash .ci/setup`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo=${CARGO:-cargo}
say() { echo "build-debs: $*" >&2; }
die() { echo "build-debs: $*" >&2; exit 1; }

missing=()
"$cargo" deb --version >/dev/null 2>&1 || missing+=("cargo-deb (cargo install cargo-deb --locked)")
for tool in dpkg-deb dpkg-shlibdeps dpkg-architecture patchelf strip gzip; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
((${#missing[@]} == 0)) || die "missing: ${missing[*]}; run bash .ci/setup"

metadata=$("$cargo" metadata --no-deps --format-version 1)
target_dir=$(grep -o '"target_directory":"[^"]*"' <<<"$metadata" | cut -d'"' -f4)
version=$(grep -o '"name":"photoguard-ffi","version":"[^"]*"' <<<"$metadata" | cut -d'"' -f8)
[[ -n $target_dir && -n $version ]] || die "cannot read the target directory and version from cargo metadata"
out=${1:-$target_dir/debian}
release=$target_dir/release
stage=$release/photoguard-deb
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)

# The C library's ABI version follows Cargo's rule: 0.x.y is compatible with
# 0.x.z, x.y with x.z. It names the SONAME and the runtime package.
IFS=. read -r major minor _ <<<"$version"
if [[ $major == 0 ]]; then sover=0.$minor; else sover=$major; fi
soname=libphotoguard.so.$sover
runtime=libphotoguard$sover
grep -q "^name = \"$runtime\"" crates/ffi/Cargo.toml ||
    die "version $version means SONAME $soname and package $runtime: rename the runtime variant and its $soname paths in crates/ffi/Cargo.toml"

say "building (release): the module, the tool, the C library"
nice "$cargo" build --release -p mod_photoguard -p photoguard-cli -p photoguard-ffi >&2

rm -rf "$stage"
mkdir -p "$stage/man" "$stage/completions" "$stage/lib" "$out"

say "man pages and completions from the clap definitions"
"$release/photoguard" generate man "$stage/man" >/dev/null
gzip -9n "$stage"/man/*.1
"$release/photoguard" generate completions bash >"$stage/completions/photoguard.bash"
"$release/photoguard" generate completions zsh >"$stage/completions/_photoguard"

say "the C library: $soname, stripped; the static library without debug info"
cp "$release/libphotoguard.so" "$stage/lib/$soname"
patchelf --set-soname "$soname" "$stage/lib/$soname"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/lib/$soname"
chmod 644 "$stage/lib/$soname"
cp "$release/libphotoguard.a" "$stage/lib/libphotoguard.a"
strip --strip-debug --enable-deterministic-archives --remove-section=.comment "$stage/lib/libphotoguard.a"
cat >"$stage/lib/photoguard.pc" <<EOF
prefix=/usr
libdir=\${prefix}/lib/$multiarch
includedir=\${prefix}/include

Name: photoguard
Description: photoguard's policy engine for C hosts
Version: $version
Libs: -L\${libdir} -lphotoguard
Libs.private: -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
Cflags: -I\${includedir}
EOF

# `cargo deb` prints the path of the package it wrote on stdout.
# --strip: the release profile keeps line tables (debug = 1) for backtraces
# in development; the packages ship stripped binaries.
deb() { "$cargo" deb --no-build --strip --output "$out" "$@" | tail -n 1; }

# What cargo-deb cannot write: sets the Depends field of package $1 to $2,
# and adds DEBIAN/shlibs with the text $3 when given.
amend() {
    local deb=$1 depends=$2 shlibs=${3:-} dir
    dir=$(mktemp -d)
    chmod 755 "$dir"
    dpkg-deb -R "$deb" "$dir"
    sed -i -e '/^Depends:/d' -e "/^Installed-Size:/a Depends: $depends" "$dir/DEBIAN/control"
    if [[ -n $shlibs ]]; then
        echo "$shlibs" >"$dir/DEBIAN/shlibs"
        chmod 644 "$dir/DEBIAN/shlibs"
    fi
    dpkg-deb --root-owner-group -Zxz -b "$dir" "$deb" >/dev/null
    rm -rf "$dir"
}

say "cargo deb: libapache2-mod-photoguard"
module_deb=$(deb -p mod_photoguard)

say "cargo deb: $runtime"
# --fast: these two are repacked (and compressed for good) by amend.
runtime_deb=$(deb -p photoguard-ffi --variant runtime --multiarch=same --fast)
deb_version=$(dpkg-deb -f "$runtime_deb" Version)
libdeps=$(
    work=$(mktemp -d)
    mkdir "$work/debian" && touch "$work/debian/control"
    (cd "$work" && dpkg-shlibdeps -O "$stage/lib/$soname" 2>/dev/null) | sed -n 's/^shlibs:Depends=//p'
    rm -rf "$work"
)
[[ -n $libdeps ]] || die "dpkg-shlibdeps found no dependencies for $soname"
amend "$runtime_deb" "$libdeps" "libphotoguard $sover $runtime (>= $version)"

say "cargo deb: libphotoguard-dev"
dev_deb=$(deb -p photoguard-ffi --multiarch=same --fast)
amend "$dev_deb" "$runtime (= $deb_version)"

for path in "$module_deb" "$runtime_deb" "$dev_deb"; do
    [[ -f $path ]] || die "cargo deb wrote no $path"
    echo "$path"
done
