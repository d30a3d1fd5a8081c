"""Parse the swift-ring-builder transcripts of real Swift 2.38 (golden files).

A transcript block is ``$ swift-ring-builder <args>`` followed by the output lines
and ``[exit N]``. Commands chained with ``;`` run in order in the same directory;
``>/dev/null`` drops that command's output.
"""

import re
import shlex

_CLOCK = re.compile(r'\(\d+:\d\d:\d\d remaining\)')


def parse_transcript(text):
    """``[(commands, output, exit_code)]``; ``commands`` is a list of
    ``(argv_after_program, keep_output)``."""
    blocks = []
    lines = text.split('\n')
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith('$ swift-ring-builder'):
            i += 1
            continue
        commands = []
        for part in line[2:].split('; '):
            keep = '>/dev/null' not in part
            argv = shlex.split(part.replace('>/dev/null', ''))
            commands.append((argv[1:], keep))
        j = i + 1
        while not re.match(r'^\[exit \d\]$', lines[j]):
            j += 1
        output = '\n'.join(lines[i + 1:j])
        output = output + '\n' if j > i + 1 else ''
        blocks.append((commands, output, int(lines[j][6])))
        i = j + 1
    return blocks


def mask_clock(text):
    """Replace the time-dependent ``(H:MM:SS remaining)``."""
    return _CLOCK.sub('(<clock> remaining)', text)
