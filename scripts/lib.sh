# Shared by scripts/test, scripts/demo and .ci/run: where builds go, and the system
# packages a build needs, installed from Debian's packages when missing.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/docstream/target}
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# ensure_packages PKG...: apt-get install the Debian packages that are missing
ensure_packages() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]} == 0)) && return 0
    log "installing ${missing[*]} from Debian's packages"
    local sudo=""
    [[ $(id -u) == 0 ]] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# the build needs a C toolchain for librdkafka and OpenSSL headers for Kafka's TLS;
# the stack needs a JDK, Maven, Go and curl
ensure_build_deps() {
    ensure_packages build-essential pkg-config libssl-dev zlib1g-dev curl ca-certificates
    command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup" >&2; exit 1; }
}

# etd-ingest extracts PDFs with poppler and OCRs scans with tesseract; its tests
# encrypt a fixture with qpdf
ensure_pdf_tools() {
    ensure_packages poppler-utils tesseract-ocr tesseract-ocr-eng qpdf util-linux
}

# the search API's browser test drives Debian's Chromium through its ChromeDriver
ensure_browser() {
    ensure_packages chromium chromium-driver fonts-dejavu-core
}

# the alert rules are checked by promtool and fired by a real Prometheus in the tests;
# the stack's optional prometheus component runs the same binary
ensure_prometheus() {
    ensure_packages prometheus
}
