# shellcheck shell=bash
# Images built from Debian 12 packages for the real node (docs/cluster.md, "Images from Debian
# packages"): mmdebstrap makes a root filesystem from the packages of one table entry, the entry's
# user and files go in, tools/testimage/packroot packs it as a one-layer image (go-containerregistry,
# no registry, no container engine), `scripts/cluster.sh up` imports it into the real node's containerd.
# Built by `scripts/cluster.sh build` (and scripts/images.sh); cached by content hash in
# $MLKUBE_CACHE/images, the downloaded .debs in $MLKUBE_CACHE/apt-archives (both outside the clone).
# Needs root (mmdebstrap --mode=root) and the machine's Debian mirror; installs mmdebstrap if missing.

# One line per image: name, tag, user (numeric uid; also its group), Debian packages (comma-separated),
# extra files (a directory whose tree is copied over the root, relative to the repository, or -).
# Another image is one more line. Referenced as mlkube.local/<name>:<tag>.
IMAGES_TABLE='
torch  v1  1000  python3-torch,python3-numpy  tools/images/torch
sshd   v1  1000  openssh-server,git           -
'
IMAGES_SUITE=bookworm
IMAGES_MIRROR=${MLKUBE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
IMAGES_SECURITY_MIRROR=${MLKUBE_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
IMAGES_DIR=$MLKUBE_CACHE/images
IMAGES_APT_CACHE=$MLKUBE_CACHE/apt-archives

# Table lines without blanks.
_images_lines() { echo "$IMAGES_TABLE" | awk 'NF' ; }

# _image_line NAME: the table line of NAME (dies when there is none).
_image_line() {
  local l
  l=$(_images_lines | awk -v n="$1" '$1 == n')
  [ -n "$l" ] || { echo "images: no image \"$1\" in the table (scripts/lib/cluster-images.sh; have: $(_images_lines | awk '{print $1}' | tr '\n' ' '))" >&2; return 1; }
  echo "$l"
}

# _image_hash LINE: what the image is made of — its table line, the build function, the packer's
# sources and the extra files — hashed; a change to any of them rebuilds only the images it touches.
_image_hash() {
  local line=$1 extra
  extra=$(echo "$line" | awk '{print $5}')
  {
    echo "$line" "$IMAGES_SUITE"
    declare -f _image_rootfs
    cat "$REPO_DIR/tools/testimage/go.mod" "$REPO_DIR/tools/testimage/go.sum" "$REPO_DIR"/tools/testimage/packroot/*.go
    if [ "$extra" != - ]; then (cd "$REPO_DIR/$extra" && find . -type f | LC_ALL=C sort | xargs sha256sum); fi
  } | sha256sum | cut -c1-16
}

# image_ref NAME: mlkube.local/NAME:TAG.
image_ref() {
  local l; l=$(_image_line "$1") || return 1
  echo "mlkube.local/$(echo "$l" | awk '{print $1 ":" $2}')"
}

# image_archive NAME: the cached archive of NAME's current definition (may not exist yet).
image_archive() {
  local l; l=$(_image_line "$1") || return 1
  echo "$IMAGES_DIR/$1-$(_image_hash "$l").tar"
}

# _image_rootfs OUT_TAR USER PACKAGES EXTRA_DIR: a Debian root filesystem with the packages (and
# what they depend on, not what they recommend; no docs, man pages or locales), user and group USER named mlkube with home
# /home/mlkube, and EXTRA_DIR's tree (or nothing for -).
_image_rootfs() {
  local out=$1 uid=$2 pkgs=$3 extra=$4
  # force-unsafe-io: no fsync per file (the root is packed right after; a crash just rebuilds):
  # sshd cold 759 s -> 136 s on the shared disk.
  local hooks=(
    # The .deb cache: in before apt downloads (download/empty: it may be non-empty), out after the
    # install (essential/unlink: keep the essential .debs too), then out of the image.
    --setup-hook='mkdir -p "$1"/var/cache/apt/archives/'
    --setup-hook="sync-in $IMAGES_APT_CACHE /var/cache/apt/archives/"
    --customize-hook="sync-out /var/cache/apt/archives $IMAGES_APT_CACHE"
    --customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb'
    --customize-hook="echo 'mlkube:x:$uid:$uid:mlkube:/home/mlkube:/bin/sh' >>\"\$1/etc/passwd\"; echo 'mlkube:x:$uid:' >>\"\$1/etc/group\"; mkdir -p \"\$1/home/mlkube\"; chown $uid:$uid \"\$1/home/mlkube\""
  )
  [ "$extra" = - ] || hooks+=(--customize-hook="cp -a '$REPO_DIR/$extra/.' \"\$1/\"")
  mkdir -p "$IMAGES_APT_CACHE"
  SOURCE_DATE_EPOCH=0 nice -n 10 mmdebstrap --quiet --mode=root --variant=essential --include="$pkgs" \
    --skip=download/empty --skip=essential/unlink --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt=force-unsafe-io \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    "${hooks[@]}" "$IMAGES_SUITE" "$out" \
    "deb $IMAGES_MIRROR $IMAGES_SUITE main" "deb $IMAGES_MIRROR $IMAGES_SUITE-updates main" \
    "deb $IMAGES_SECURITY_MIRROR $IMAGES_SUITE-security main"
}

_images_packer() {
  local src="$REPO_DIR/tools/testimage" hash
  hash=$(cd "$src" && cat go.mod go.sum packroot/*.go | sha256sum | cut -c1-16)
  BUILD_DIR="$src" CLUSTER_BIN="$IMAGES_DIR" _build_one packroot "$hash" "packroot" "-s -w" ./packroot >&2
}

# images_build [NAME...]: builds the named images (default: all) unless cached; prints each archive.
images_build() {
  mkdir -p "$IMAGES_DIR"
  ( flock 7; _images_build_locked "$@" ) 7>"$IMAGES_DIR/.lock"
}

_images_build_locked() {
  local names=("$@") n l tar t0 rootfs
  [ ${#names[@]} -gt 0 ] || mapfile -t names < <(_images_lines | awk '{print $1}')
  if ! command -v mmdebstrap >/dev/null; then
    echo "images: installing mmdebstrap" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null 2>&1 || {
      apt-get update -qq >/dev/null 2>&1
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
    }
  fi
  _images_packer
  for n in "${names[@]}"; do
    l=$(_image_line "$n") || return 1
    tar=$(image_archive "$n")
    if [ -f "$tar" ]; then
      touch "$tar"
      echo "images: $(image_ref "$n") cached ($tar)" >&2
    else
      t0=$(date +%s)
      rootfs=$(mktemp "$IMAGES_DIR/.rootfs-$n.XXXXXX.tar")
      # shellcheck disable=SC2046
      _image_rootfs "$rootfs" $(echo "$l" | awk '{print $3, $4, $5}') || { rm -f "$rootfs"; echo "images: building $n failed" >&2; return 1; }
      # -env HOME: the user's home also when a pod sets runAsUser without a passwd lookup.
      "$IMAGES_DIR/packroot" -rootfs "$rootfs" -out "$tar" -image "$(image_ref "$n")" \
        -user "$(echo "$l" | awk '{print $3}')" -env HOME=/home/mlkube -workdir /home/mlkube || { rm -f "$rootfs"; return 1; }
      rm -f "$rootfs"
      # Older builds of the same image go once unused for a week (not at once: clones on other
      # branches may share this cache and still import theirs).
      find "$IMAGES_DIR" -maxdepth 1 -name "$n-*.tar" ! -path "$tar" -mtime +7 -delete
      echo "images: $(image_ref "$n") built in $(( $(date +%s) - t0 ))s ($(du -m "$tar" | cut -f1) MiB, $tar)" >&2
    fi
    echo "$tar"
  done
}

# images_import SOCKET [NAME...]: imports the built images (default: all) into the containerd at SOCKET.
images_import() {
  local sock=$1 n tar; shift
  local names=("$@")
  [ ${#names[@]} -gt 0 ] || mapfile -t names < <(_images_lines | awk '{print $1}')
  for n in "${names[@]}"; do
    tar=$(image_archive "$n") || return 1
    [ -f "$tar" ] || { echo "images: $(image_ref "$n") is not built ($tar); run scripts/images.sh build $n" >&2; return 1; }
    "$CLUSTER_BIN/ctr" --address="$sock" -n k8s.io images import --no-unpack=false "$tar" >/dev/null
  done
}

# images_list: name, reference, hash, state (built / not built) and size.
images_list() {
  local n tar
  for n in $(_images_lines | awk '{print $1}'); do
    tar=$(image_archive "$n")
    if [ -f "$tar" ]; then echo "$n $(image_ref "$n") $(basename "$tar" .tar) built $(du -m "$tar" | cut -f1)MiB"
    else echo "$n $(image_ref "$n") $(basename "$tar" .tar) not-built -"; fi
  done
}
