#!/usr/bin/env bash
# Headless Chromium and its WebDriver (Debian's chromium and chromium-driver) for the browser test; skipped when both
# are installed. The browser comes from the distribution's packages: nothing is downloaded at run time.
source "$(dirname "$0")/common.sh"

missing=()
for package in chromium chromium-driver; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
    note "chromium and chromium-driver already installed"
    exit 0
fi
note "installing system packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -q || die "apt-get update failed"
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" ||
    die "apt-get install ${missing[*]} failed"
require_tool chromium "the chromium package did not install a chromium command"
require_tool chromedriver "the chromium-driver package did not install a chromedriver command"
