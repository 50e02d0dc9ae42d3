#!/bin/sh
# Debian libraries a fresh machine lacks for Hydrascope (see ../shared/qt-environment.md):
# Qt's own NEEDED libraries for offscreen tests, the xcb set and Xvfb for a real window,
# python3-venv for `make`, and the sqlite3 shell the import benchmark measures against.
set -eu
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
PKGS="python3-venv libgl1 libegl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libxkbcommon0 \
 xvfb xauth libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \
 libxcb-render-util0 libxcb-shape0 libxcb-xkb1 sqlite3"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
