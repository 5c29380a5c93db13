#!/bin/bash
# Installs librfcres into a temporary prefix and builds a consumer twice:
# with pkg-config and with CMake's find_package(rfcres) -> rfcres::rfcres.
# Both consumers must run and resolve through librfcres.
set -eu
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
[ -z "${RFCRES_SANITIZE:-}" ] || { echo "SKIP: sanitizer build: consumers would need the sanitizer runtime"; exit 77; }
command -v pkg-config >/dev/null || { echo "SKIP: pkg-config missing"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in include/rfcres.h lib/librfcres.so.0 lib/librfcres.a bin/rfcres \
         lib/pkgconfig/rfcres.pc lib/cmake/rfcres/rfcresConfig.cmake \
         share/man/man1/rfcres.1 share/man/man3/librfcres.3 share/man/man5/rfcres-resolv.conf.5; do
  [ -e "$prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
cat > "$tmp/consumer.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <rfcres.h>
int main(void)
{
	struct addrinfo hints, *res;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	int rc = rfcres_getaddrinfo("127.0.0.1", "80", &hints, &res);
	if (rc) { printf("error %s\n", rfcres_gai_strerror(rc)); return 1; }
	printf("librfcres %s ok\n", rfcres_version());
	rfcres_freeaddrinfo(res);
	return RFCRES_VERSION_NUMBER == rfcres_version_number() ? 0 : 1;
}
C
# 1: pkg-config
PKG_CONFIG_PATH=$prefix/lib/pkgconfig cc -o "$tmp/c1" "$tmp/consumer.c" \
  $(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs rfcres)
LD_LIBRARY_PATH=$prefix/lib "$tmp/c1"
# 2: CMake package
mkdir -p "$tmp/cm"
cp "$tmp/consumer.c" "$tmp/cm/"
cat > "$tmp/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.16)
project(consumer C)
find_package(rfcres 0.1 REQUIRED)
add_executable(consumer consumer.c)
target_link_libraries(consumer PRIVATE rfcres::rfcres)
CM
cmake -S "$tmp/cm" -B "$tmp/cm/b" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/cm/b" >/dev/null
LD_LIBRARY_PATH=$prefix/lib "$tmp/cm/b/consumer"
echo "install + pkg-config + find_package OK"
