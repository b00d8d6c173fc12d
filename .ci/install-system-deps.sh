#!/usr/bin/env bash
# Debian packages the test suite needs: Chromium (end-to-end tests through the browser host), socat
# (pseudo-terminal pairs for real serial tests), poppler-utils (pdftotext/pdfinfo read back printed case
# reports), biosig-tools and python3-mne/python3-scipy (outside
# cross-checks of our EDF+ files and filter references), libedf-dev with a C compiler (gcc, and
# libc6-dev, which gcc only recommends) to build an EDFlib writer of foreign EDF+ files
# (test/integration/grade-edflib.test.ts). Installs only what is missing.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v save2gdf >/dev/null 2>&1 || need+=(biosig-tools)
/usr/bin/python3 -c 'import scipy' >/dev/null 2>&1 || need+=(python3-scipy)
/usr/bin/python3 -c 'import mne' >/dev/null 2>&1 || need+=(python3-mne)
command -v cc >/dev/null 2>&1 || need+=(gcc)
[ -f /usr/include/stdio.h ] || need+=(libc6-dev)
[ -f /usr/include/edflib.h ] || need+=(libedf-dev)
if [ ${#need[@]} -eq 0 ]; then
  echo "system packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${need[@]}"
