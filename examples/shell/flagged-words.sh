#!/usr/bin/env bash
# The words leafx flags for a listen (diffuse or weakly supported attribution, or, with
# --verify, unconfirmed by silencing), one per line: the word, the span of audio that holds half
# of its attribution (seconds), and its flags, tab-separated. Reads leafx's JSON with jq, so it
# does not depend on the text format's columns. Arguments go to `leafx explain`:
#   examples/shell/flagged-words.sh call.wav -m base --method leafx-grad --verify
set -euo pipefail
leafx explain "$@" --format json |
  jq -r '.words[] | select(.flags | length > 0) | [.word, "\(.start)-\(.end)", (.flags | join(","))] | @tsv'
