# Sourced: a private apt configuration for bookworm-backports, whose URI is
# whatever this machine's own apt sources name (no host name lives in this
# repository). Sets $cache and $apt_opts, and defines bp_refresh.
cache=${HVDPA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hvdpa}
apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" \
	"$apt_dir/sources.list.d" "$cache/debs"

sources=/etc/apt/sources.list.d/debian.sources
[ -r "$sources" ] || { echo "backports: $sources not readable" >&2; exit 1; }

# The URIs of the stanza that carries the plain bookworm suite, not -security.
uri=$(awk '
	/^URIs:/ { u = $2 }
	/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") { print u; exit } }
' "$sources")
[ -n "$uri" ] || { echo "backports: no bookworm URI in $sources" >&2; exit 1; }

cat >"$apt_dir/sources.list.d/backports.sources" <<SRC
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC

apt_opts="-o Dir::Etc::SourceList=/dev/null
	-o Dir::Etc::SourceParts=$apt_dir/sources.list.d
	-o Dir::State::Lists=$apt_dir/lists
	-o Dir::Cache=$apt_dir/cache
	-o Debug::NoLocking=1
	-o APT::Sandbox::User=root"

# shellcheck disable=SC2086
bp_refresh() {
	apt-get $apt_opts update -q >&2
}

# bp_download PKG: the newest backports .deb of PKG in $cache/debs; prints
# its path.
# shellcheck disable=SC2086
bp_download() {
	deb=$(ls "$cache/debs/${1}_"*.deb 2>/dev/null | tail -n 1 || true)
	if [ -z "$deb" ]; then
		(cd "$cache/debs" && apt-get $apt_opts download "$1" >&2) ||
			return 1
		deb=$(ls "$cache/debs/${1}_"*.deb | tail -n 1)
	fi
	echo "$deb"
}
