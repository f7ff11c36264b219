#!/bin/sh
# The words leafx flags for a listen (diffuse or weakly supported attribution), one per line
# with the span of audio that holds half of their attribution. Arguments go to `leafx explain`:
#   examples/shell/flagged-words.sh call.wav -m base --method leafx-grad
leafx explain "$@" --format text | awk 'NR > 3 && NF > 6 { print $1 "\t" $2 "\t" $NF }'
