#!/usr/bin/env bash
# docs/text-output.png: `dfulint check` on the seed fixture in a 100-column terminal (tmux), its
# colours captured and drawn by bench/terminal_png.py.
# Needs: tmux librsvg2-bin fonts-dejavu-core (apt-get install).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-python3}
work=$(mktemp -d)
trap 'tmux -L dfulint-text kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$root"
TERM=xterm-256color tmux -L dfulint-text new-session -d -s text -x 100 -y 60 \
  "PYTHONPATH=$root $py -m dfulint check fixtures/seed_bl653_dvk --color always; echo '$ '; sleep 30"
sleep "${WAIT:-4}"
tmux -L dfulint-text capture-pane -t text -p -e | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' > "$work/screen.txt"
"$py" "$root/bench/terminal_png.py" "$work/screen.txt" "$root/docs/text-output.png" \
  --title "dfulint check fixtures/seed_bl653_dvk (100 columns)"
echo "wrote $root/docs/text-output.png"
