#!/usr/bin/env bash
# Regenerate the shell completion scripts from the installed hrouter (run from the repo root).
set -euo pipefail
cd "$(dirname "$0")"
for shell in bash zsh fish; do
  _HROUTER_COMPLETE="source_$shell" hrouter > "hrouter.$shell"
done
echo "wrote completions/hrouter.{bash,zsh,fish}"
