#!/bin/sh
# Installs the Debian packages kdeck's build, tests and demo need. A no-op when all are present.
# Run by `make test` and `make demo` before anything else, so a fresh Debian 12 machine needs nothing else.
set -eu

PACKAGES="build-essential pkg-config clang libclang-rt-14-dev
libncurses-dev libuv1-dev libcurl4-openssl-dev libcjson-dev libwebsockets-dev libwebsockets-evlib-uv
libyaml-dev libcmocka-dev
openssl ca-certificates python3 tmux wrk valgrind procps groff-base curl
haproxy prometheus prometheus-mysqld-exporter mariadb-server mariadb-client"

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done

if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "kdeck: missing Debian packages:$missing" >&2
        echo "kdeck: run as root, or: sudo apt-get install -y --no-install-recommends$missing" >&2
        exit 1
    fi
    echo "deps: installing$missing"
    # Package scripts must not start system copies of haproxy/mariadb/prometheus listening on every
    # interface: a policy-rc.d denies service starts for the duration of the install.
    policy=/usr/sbin/policy-rc.d
    added_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; added_policy=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends $missing >/tmp/kdeck-apt.log 2>&1; then
        apt-get update -qq >/dev/null 2>&1 || true
        apt-get install -y --no-install-recommends $missing >/tmp/kdeck-apt.log 2>&1 || {
            [ $added_policy = 1 ] && rm -f "$policy"
            echo "deps: apt-get install failed; see /tmp/kdeck-apt.log" >&2; tail -20 /tmp/kdeck-apt.log >&2; exit 1; }
    fi
    [ $added_policy = 1 ] && rm -f "$policy"
    echo "deps: installed"
fi

# kubectl: the machine image ships a dispatcher; Debian's kubernetes-client clashes on the same path,
# so when kubectl is missing it is unpacked (not installed) into build/kubectl-deb.
if ! command -v kubectl >/dev/null 2>&1 && [ ! -x build/kubectl-deb/usr/bin/kubectl ]; then
    echo "deps: kubectl not found; unpacking Debian's kubernetes-client into build/kubectl-deb"
    mkdir -p build/kubectl-deb && (cd build/kubectl-deb && apt-get download kubernetes-client >/dev/null 2>&1 &&
        dpkg -x kubernetes-client_*.deb . ) || echo "deps: warning: could not get kubectl; the kubectl gate will fail" >&2
fi
exit 0
