#!/bin/sh
# Run natively and under `moat do` by test_pty.py: a detached tmux session (a pty server) runs
# tty and stty size in its pane; the pane's text is printed once the pane says it is done.
set -e
export TMUX_TMPDIR="$(mktemp -d)"
trap 'tmux kill-server 2>/dev/null; rm -rf "$TMUX_TMPDIR"' EXIT
tmux -f /dev/null new-session -d -s t -x 80 -y 24 \
    'echo in-tmux; tty; stty size; tmux wait-for -S done; sleep 30'
tmux wait-for done
tmux capture-pane -p -t t | grep .
