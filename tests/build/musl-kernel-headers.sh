#!/bin/bash
# Debian's musl-gcc hides /usr/include, so <linux/rtnetlink.h> is not found
# and librfcres would build without its netlink code (inventory and batched
# source probe; it then falls back to getifaddrs and one UDP connect per
# destination).  A musl distribution has the kernel headers (Alpine:
# linux-headers).  This exposes exactly those directories, nothing of
# glibc, as symlinks in DIR.  Usage: musl-kernel-headers.sh DIR
# Prints the compiler flag to use ("-isystem DIR"), or nothing if the
# kernel headers are not installed.
set -eu
dir=${1:?usage: musl-kernel-headers.sh DIR}
[ -d /usr/include/linux ] || exit 0
mkdir -p "$dir"
for a in /usr/include/linux /usr/include/asm-generic \
	/usr/include/$(gcc -dumpmachine 2>/dev/null || uname -m)/asm; do
	[ -d "$a" ] && ln -sfn "$a" "$dir/$(basename "$a")"
done
printf -- '-isystem %s\n' "$(cd "$dir" && pwd)"
