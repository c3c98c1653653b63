#!/usr/bin/env bash
# docs/editor-diagnostics.png: Neovim (Debian's neovim) with `dfulint server` on a copy of the seed
# fixture, run in tmux at 110x34, the cursor on the secondary slot's size and its diagnostic opened;
# the pane is captured with its colours and drawn by bench/terminal_png.py.
# Needs: neovim tmux librsvg2-bin fonts-dejavu-core (apt-get install).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-python3}
work=$(mktemp -d)
trap 'tmux -L dfulint-shot kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r "$root/fixtures/seed_bl653_dvk" "$work/seed"
cat > "$work/init.lua" <<LUA
vim.o.background = "dark"
vim.o.number = true
vim.o.signcolumn = "yes"
vim.diagnostic.config({ virtual_text = { prefix = "●" }, severity_sort = true, float = { border = "single" } })
vim.cmd("highlight NormalFloat ctermbg=236 ctermfg=252")
vim.cmd("highlight FloatBorder ctermbg=236 ctermfg=244")
vim.cmd("highlight LineNr ctermfg=243 ctermbg=NONE")
vim.cmd("highlight SignColumn ctermbg=NONE")
local id = vim.lsp.start_client({
  name = "dfulint",
  cmd = { "$py", "-m", "dfulint", "server" },
  cmd_env = { PYTHONPATH = "$root" },
  root_dir = vim.fn.getcwd(),
})
vim.api.nvim_create_autocmd({ "BufEnter" }, {
  pattern = { "*.conf", "pm_static*.yml", "*.overlay" },
  callback = function() vim.lsp.buf_attach_client(0, id) end,
})
LUA
cd "$work/seed"
TERM=xterm-256color tmux -L dfulint-shot new-session -d -s shot -x 110 -y 34 \
  "TERM=xterm-256color nvim -u $work/init.lua pm_static.yml"
sleep "${WAIT:-6}"
tmux -L dfulint-shot send-keys -t shot "11G"
sleep 1
tmux -L dfulint-shot send-keys -t shot ":lua vim.diagnostic.open_float()" Enter
sleep 2
tmux -L dfulint-shot capture-pane -t shot -p -e > "$work/screen.txt"
"$py" "$root/bench/terminal_png.py" "$work/screen.txt" "$root/docs/editor-diagnostics.png" \
  --title "Neovim + dfulint server: the seed fixture's pm_static.yml, cursor on the secondary's size"
echo "wrote $root/docs/editor-diagnostics.png"
