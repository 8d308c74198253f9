#!/usr/bin/env bash
# Build the one-folder app with PyInstaller (build.spec) into dist/, then run its self-test.
# Prints the build time, the bundle size, and the self-test report and time.
#   bash scripts/build_bundle.sh          (uses .venv/bin/python unless PYTHON is set)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
"$PY" -c "import PyInstaller" 2>/dev/null || "$PY" -m pip install -q "pyinstaller>=6.6"

start=$(date +%s)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN build.spec
build_s=$(( $(date +%s) - start ))

if [[ "$(uname)" == "Darwin" ]]; then
    bundle="dist/NST Desktop.app"
    app="$bundle/Contents/MacOS/nst-desktop-app"
else
    bundle="dist/nst-desktop"
    app="$bundle/nst-desktop-app"
fi
echo "Built $bundle in ${build_s} s"
echo "Bundle size: $(du -sh "$bundle" | cut -f1) ($(find "$bundle" -type f | wc -l) files)"
echo "Largest parts:"
du -sh "$bundle"/_internal/* 2>/dev/null | sort -rh | head -8 || true

echo "--- self-test of the bundle"
now() { "$PY" -c 'import time; print(time.time())'; }
t0=$(now)
rc=0
QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen} "$app" --self-test || rc=$?
"$PY" -c "import sys; print(f'Bundle self-test exit status $rc in {float(sys.argv[2]) - float(sys.argv[1]):.1f} s')" "$t0" "$(now)"
exit $rc
