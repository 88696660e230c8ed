#!/usr/bin/env bash
# Installs (once) Debian's headless-capable Chromium and its WebDriver
# server, chromium-driver, for the web UI's browser tests, and prints the two
# paths: "CHROMIUM CHROMEDRIVER". Idempotent: nothing is installed when both
# are present. Debian's packages only; no browser build is downloaded.
set -euo pipefail
cache="${SLKC_CACHE:-$HOME/.cache/slkc}"
find_bins() {
	chromium="$(command -v chromium || true)"
	driver="$(command -v chromedriver || true)"
}
find_bins
if [[ -z "$chromium" || -z "$driver" ]]; then
	command -v apt-get >/dev/null || { echo "browser.sh: chromium/chromedriver missing and apt-get is not available; install Debian's chromium and chromium-driver" >&2; exit 1; }
	SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
	mkdir -p "$cache"
	log="$cache/apt-chromium.log"
	export DEBIAN_FRONTEND=noninteractive
	apt() { $SUDO apt-get -o DPkg::Lock::Timeout=600 "$@" >>"$log" 2>&1; }
	echo "browser.sh: installing chromium and chromium-driver from Debian packages (log: $log)" >&2
	apt install -y -qq --no-install-recommends chromium chromium-driver \
		|| { apt update -qq && apt install -y -qq --no-install-recommends chromium chromium-driver; } \
		|| { echo "browser.sh: apt-get could not install chromium chromium-driver (see $log)" >&2; exit 1; }
	find_bins
	[[ -n "$chromium" && -n "$driver" ]] || { echo "browser.sh: chromium or chromedriver still missing after the install" >&2; exit 1; }
fi
echo "$chromium $driver"
