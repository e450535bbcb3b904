#!/usr/bin/env python3
"""Sets the status (and optionally the note) of syscalls in abi/syscalls.tbl, keeping the layout:
   set_status.py TBL STATUS NAME... [--note TEXT]"""
import re
import sys

def main():
    args = sys.argv[1:]
    note = None
    if '--note' in args:
        i = args.index('--note')
        note = args[i + 1]
        del args[i:i + 2]
    tbl, status, names = args[0], args[1], set(args[2:])
    assert status in ('implemented', 'partial', 'unimplemented'), status
    out, seen = [], set()
    for line in open(tbl):
        m = re.match(r'^(\s*\d+\s+)(\S+)(\s+)(\S+)(\s+)(.*?)(\s*#.*)?$', line.rstrip('\n'))
        if m and m.group(2) in names:
            seen.add(m.group(2))
            width = len(m.group(4)) + len(m.group(5))
            rest = m.group(6)
            comment = m.group(7) or ''
            if note is not None:
                comment = ('  # ' + note) if note else ''
            line = m.group(1) + m.group(2) + m.group(3) + status.ljust(max(width, len(status) + 1)) + rest + comment + '\n'
        out.append(line)
    missing = names - seen
    if missing:
        sys.exit('unknown syscalls: ' + ' '.join(sorted(missing)))
    open(tbl, 'w').writelines(out)

main()
